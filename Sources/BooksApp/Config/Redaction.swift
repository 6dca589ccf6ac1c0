/// Hides secrets in text that may hold a MongoDB connection string, before it is logged or shown.
/// The userinfo (`user:password@`) and the value of every option whose name says it is secret
/// (`password`, `tlsCertificateKeyFilePassword`, `authMechanismProperties=AWS_SESSION_TOKEN:...`)
/// become `***`, wherever in the text they appear (libmongoc's messages may quote the URL).
enum Redaction {
    static func mongoURL(_ text: String) -> String {
        var bytes = Array(text.utf8)
        redactUserinfo(&bytes)
        redactSecretOptions(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Option names (lowercased) that hold secrets, by the words in them.
    private static let secretWords = ["password", "secret", "token", "authmechanismproperties"]

    private static func redactUserinfo(_ b: inout [UInt8]) {
        var i = 0
        while let scheme = find(b, "://", from: i) {
            let start = scheme + 3
            var end = start, at: Int?
            while end < b.count, !isURLEnd(b[end]), b[end] != UInt8(ascii: "/"), b[end] != UInt8(ascii: "?") {
                if b[end] == UInt8(ascii: "@") { at = end }
                end += 1
            }
            if let at {
                b.replaceSubrange(start..<at, with: Array("***".utf8))
                i = start + 4
            } else {
                i = end
            }
        }
    }

    private static func redactSecretOptions(_ b: inout [UInt8]) {
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "=") else { i += 1; continue }
            var nameStart = i
            while nameStart > 0, isNameByte(b[nameStart - 1]) { nameStart -= 1 }
            let name = String(decoding: b[nameStart..<i].map { $0 | 0x20 }, as: UTF8.self)
            var valueEnd = i + 1
            while valueEnd < b.count, !isURLEnd(b[valueEnd]), b[valueEnd] != UInt8(ascii: "&") { valueEnd += 1 }
            if secretWords.contains(where: name.contains), valueEnd > i + 1 {
                b.replaceSubrange((i + 1)..<valueEnd, with: Array("***".utf8))
                i += 4
            } else {
                i = valueEnd
            }
        }
    }

    private static func isNameByte(_ c: UInt8) -> Bool {
        (c | 0x20) &- UInt8(ascii: "a") < 26 || c &- UInt8(ascii: "0") < 10 || c == UInt8(ascii: "_")
    }

    private static func isURLEnd(_ c: UInt8) -> Bool {
        c <= 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: ",") || c == UInt8(ascii: ")")
    }

    private static func find(_ b: [UInt8], _ needle: StaticString, from: Int) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard b.count >= n, from <= b.count - n else { return nil }
        outer: for i in from...(b.count - n) {
            for j in 0..<n where b[i + j] != needle.utf8Start[j] { continue outer }
            return i
        }
        return nil
    }
}
