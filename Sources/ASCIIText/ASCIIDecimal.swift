/// The one parser for integers a client sends: HTTP fields (Content-Length, Range), query
/// parameters, numeric strings in bodies. `1*DIGIT` (RFC 9110 §5.6.1 and §8.6): no sign unless
/// asked for, no spaces, no `+`; leading zeros are digits like any other; every step is checked,
/// so a value past Int64 is refused, never wrapped or trapped.
public enum ASCIIDecimal {
    /// The value of `bytes`, or nil when it is empty, holds anything but digits (after one leading
    /// `-` when `allowMinus`), or does not fit in Int64.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, allowMinus: Bool = false) -> Int64? {
        var i = bytes.startIndex
        let negative = allowMinus && i != bytes.endIndex && bytes[i] == UInt8(ascii: "-")
        if negative { i = bytes.index(after: i) }
        guard i != bytes.endIndex else { return nil }
        var value: Int64 = 0
        while i != bytes.endIndex {
            let digit = bytes[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            // Accumulate towards the negative side, so Int64.min itself parses.
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = next
            i = bytes.index(after: i)
        }
        if negative { return value }
        return value == Int64.min ? nil : -value
    }

    /// The same for a String (query values, settings).
    public static func parse(_ text: String, allowMinus: Bool = false) -> Int64? {
        parse(text.utf8, allowMinus: allowMinus)
    }

    /// As an Int (64-bit on every platform this runs on).
    public static func int<Bytes: Collection<UInt8>>(_ bytes: Bytes, allowMinus: Bool = false) -> Int? {
        parse(bytes, allowMinus: allowMinus).flatMap { Int(exactly: $0) }
    }

    public static func int(_ text: String, allowMinus: Bool = false) -> Int? {
        int(text.utf8, allowMinus: allowMinus)
    }

    /// Appends a non-negative value's digits, without a String on the way (Content-Length, Link).
    public static func append(_ value: Int, to out: inout [UInt8]) {
        if value < 10 { out.append(UInt8(truncatingIfNeeded: 48 + max(0, value))); return }
        append(value / 10, to: &out)
        out.append(UInt8(truncatingIfNeeded: 48 + value % 10))
    }
}
