/// Hexadecimal digits, both ways: percent-encoding, chunk sizes, `\u` escapes, ids and tags.
public enum ASCIIHex {
    /// The value of one hex digit (either case), or nil.
    @inline(__always) public static func value(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    public static let lowercase: [UInt8] = Array("0123456789abcdef".utf8)
    public static let uppercase: [UInt8] = Array("0123456789ABCDEF".utf8)
}
