import Glibc
import JSON

/// The API's instants: RFC 3339 (see JSON's RFC3339), with open interval ends as sentinels.
enum Timestamp {
    static let openStart = Int64.min
    static let openEnd = Int64.max
    /// The earliest and latest instants the API accepts: years 0001 to 9999.
    static let earliest = RFC3339.parse("0001-01-01T00:00:00Z")!
    static let latest = RFC3339.parse("9999-12-31T23:59:59.999Z")!

    static func parse(_ text: String, offsetOptional: Bool = false) -> Int64? { RFC3339.parse(text, offsetOptional: offsetOptional) }
    static func format(_ millis: Int64) -> String { RFC3339.format(millis) }

    /// The wall clock in milliseconds: holds expire by it, and allocations are stamped with it.
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
    }
}

/// A half-open interval [from, to) of UTC milliseconds; open ends are the sentinels.
struct Interval: Equatable, Sendable {
    var from: Int64
    var to: Int64

    /// Back-to-back intervals do not overlap: [a, b) and [b, c) share no instant; an empty
    /// interval (from >= to) overlaps nothing.
    func overlaps(_ other: Interval) -> Bool { from < other.to && other.from < to && !isEmpty && !other.isEmpty }

    var isEmpty: Bool { from >= to }

    var fromJSON: String? { from == Timestamp.openStart ? nil : Timestamp.format(from) }
    var toJSON: String? { to == Timestamp.openEnd ? nil : Timestamp.format(to) }
}
