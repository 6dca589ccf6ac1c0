/// IMF-fixdate (RFC 9110 §5.6.7) for Last-Modified and If-Modified-Since.
public enum HTTPDate {
    public static func format(epochSeconds: Int) -> [UInt8] { DateCache.format(epochSeconds: epochSeconds) }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses "Sun, 06 Nov 1994 08:49:37 GMT"; other (obsolete) formats give nil, which a cache
    /// treats as "no condition" (RFC 9110 §13.1.3 lets a recipient ignore an invalid date).
    public static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: " ")
        // IMF-fixdate has a 2-digit day and a 4-digit year; bounding them keeps the arithmetic below
        // from overflowing on a hostile header (a 19-digit year once crashed the server).
        guard parts.count == 6, parts[5] == "GMT", parts[1].count == 2, parts[3].count == 4,
              let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
              let year = Int(parts[3]), year >= 0 else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let h = Int(time[0]), let m = Int(time[1]), let s = Int(time[2]), (1...31).contains(day), h < 24, m < 60, s < 61 else { return nil }
        let month = monthIndex + 1
        // days_from_civil (Howard Hinnant)
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
        return days * 86400 + h * 3600 + m * 60 + s
    }
}
