import ASCIIText

/// Strong entity tags from the representation's bytes (FNV-1a, 64 bits): equal bytes, equal tag,
/// whichever store produced them.
enum ETag {
    static func of(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        // `"` + 16 hex digits + `"`, written straight into the string's storage.
        return String(unsafeUninitializedCapacity: 18) { buffer in
            buffer[0] = UInt8(ascii: "\"")
            for i in 0..<16 { buffer[16 - i] = ASCIIHex.lowercase[Int((hash >> (4 * UInt64(i))) & 0xF)] }
            buffer[17] = UInt8(ascii: "\"")
            return 18
        }
    }

    /// RFC 9110 §13.1.2 If-None-Match: weak comparison, `*` matches any current representation.
    static func noneMatch(_ header: String, current: String) -> Bool {
        !list(header).contains { $0 == "*" || weak($0) == weak(current) }
    }

    /// RFC 9110 §13.1.1 If-Match: strong comparison, `*` matches any current representation.
    static func matches(_ header: String, current: String) -> Bool {
        list(header).contains { $0 == "*" || (!$0.hasPrefix("W/") && $0 == current) }
    }

    private static func list(_ header: String) -> [Substring] {
        header.split(separator: ",").map { $0.drop(while: { $0 == " " || $0 == "\t" }) }.map { s in
            var t = s
            while t.last == " " || t.last == "\t" { t = t.dropLast() }
            return t
        }
    }

    private static func weak(_ tag: Substring) -> Substring { tag.hasPrefix("W/") ? tag.dropFirst(2) : tag }
    private static func weak(_ tag: String) -> Substring { weak(Substring(tag)) }
}
