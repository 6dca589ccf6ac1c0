import ASCIIText

/// A 12-byte ObjectId.
public struct ObjectID: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        self.bytes = bytes
    }

    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 24 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: 24, by: 2) {
            guard let high = ASCIIHex.value(utf8[i]), let low = ASCIIHex.value(utf8[i + 1]) else { return nil }
            let byte = high << 4 | low
            out.append(byte)
        }
        bytes = out
    }

    /// 24 lowercase hex digits, as the shell shows it.
    public var description: String {
        var out: [UInt8] = []
        for b in bytes { out.append(ASCIIHex.lowercase[Int(b >> 4)]); out.append(ASCIIHex.lowercase[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
