import Glibc

/// The IMF-fixdate for the Date header (RFC 9110 §5.6.7), formatted at most once per second per loop.
struct DateCache {
    private(set) var bytes: [UInt8] = []
    private var second: Int = -1

    private static let days: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Refreshes the cached value if the wall-clock second changed.
    mutating func refresh() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        guard now.tv_sec != second else { return }
        second = now.tv_sec
        bytes = Self.format(epochSeconds: now.tv_sec)
    }

    /// Any Int formats (a file's mtime can be anything): clamped to the years 0000 to 9999 that
    /// IMF-fixdate's 4DIGIT year can say, so the digit arithmetic below cannot trap.
    static func format(epochSeconds: Int) -> [UInt8] {
        var t = time_t(min(max(epochSeconds, -62_167_219_200), 253_402_300_799))
        var parts = tm()
        gmtime_r(&t, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(29)
        func add(_ s: StaticString) { out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }
        func two(_ v: Int32) { out.append(UInt8(48 + v / 10)); out.append(UInt8(48 + v % 10)) }
        add(days[Int(parts.tm_wday)]); add(", ")
        two(parts.tm_mday); add(" ")
        add(months[Int(parts.tm_mon)]); add(" ")
        let year = parts.tm_year + 1900
        two(year / 100); two(year % 100); add(" ")
        two(parts.tm_hour); add(":"); two(parts.tm_min); add(":"); two(parts.tm_sec)
        add(" GMT")
        return out
    }
}
