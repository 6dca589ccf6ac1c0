import ASCIIText

/// IMF-fixdate (RFC 9110 §5.6.7) for Last-Modified and If-Modified-Since.
public enum HTTPDate {
    public static func format(epochSeconds: Int) -> [UInt8] { DateCache.format(epochSeconds: epochSeconds) }

    private static let days: [StaticString] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses exactly `Sun, 06 Nov 1994 08:49:37 GMT`: 29 bytes, every field the fixed number of
    /// digits the grammar gives it (2DIGIT, 4DIGIT), no sign, no space. Anything else, the obsolete
    /// formats included, gives nil, which a cache treats as "no condition" (RFC 9110 §13.1.3 lets
    /// a recipient ignore an invalid date). Bounded fields keep the arithmetic far from overflow:
    /// two hostile headers (a 19-digit year, then a signed 18-digit hour) once crashed the server.
    public static func parse(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    public static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard b.count == 29, b[3] == UInt8(ascii: ","), b[4] == 0x20, b[7] == 0x20, b[11] == 0x20, b[16] == 0x20,
            b[19] == UInt8(ascii: ":"), b[22] == UInt8(ascii: ":"), b[25] == 0x20,
            b[26] == UInt8(ascii: "G"), b[27] == UInt8(ascii: "M"), b[28] == UInt8(ascii: "T"),
            let weekday = index(of: b, at: 0, in: days), let month0 = index(of: b, at: 8, in: months),
            let day = digits(b, 5, 2), let year = digits(b, 12, 4),
            let hour = digits(b, 17, 2), let minute = digits(b, 20, 2), let second = digits(b, 23, 2),
            day >= 1, day <= CivilDate.daysIn(month: month0 + 1, year: year), hour < 24, minute < 60, second < 61
        else { return nil }
        let daysSinceEpoch = CivilDate.daysFromCivil(year: year, month: month0 + 1, day: day)
        // 1970-01-01 was a Thursday (index 3); a date whose weekday is wrong is not this date.
        guard ((daysSinceEpoch % 7) + 7 + 3) % 7 == weekday else { return nil }
        return daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + min(second, 59)
    }

    private static func digits(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for i in start..<start + count {
            let d = b[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            value = value * 10 + Int(d)  // at most 4 digits: no overflow possible
        }
        return value
    }

    private static func index(of b: UnsafeBufferPointer<UInt8>, at start: Int, in names: [StaticString]) -> Int? {
        names.firstIndex { name in
            let n = name.utf8Start
            return b[start] == n[0] && b[start + 1] == n[1] && b[start + 2] == n[2]
        }
    }
}
