import JSON

/// RFC 5545 iCalendar feeds of allocations, for Google Calendar, Outlook and Thunderbird to
/// subscribe to: one VEVENT per allocation, UID `<allocation id>@booksapi` (stable across changes
/// and moves, so a subscriber updates the event in place), times in UTC, STATUS CONFIRMED,
/// TENTATIVE or CANCELLED (a cancelled or expired one stays, so subscribers drop it), and RFC 7986's
/// REFRESH-INTERVAL. Open ends are cut to the feed's window (a calendar event needs both), and the
/// description says the booking runs on past it.
enum CalendarFeed {
    /// How often subscribers should fetch again.
    static let refreshMinutes = 15
    /// The window a feed covers unless `from`/`to` say otherwise: 30 days back, a year ahead.
    static let daysBack: Int64 = 30
    static let daysAhead: Int64 = 365

    static func defaultWindow(now: Int64) -> Interval {
        Interval(from: now - daysBack * 86_400_000, to: now + daysAhead * 86_400_000)
    }

    static func render(name: String, events: [(resource: Resource, allocation: Allocation)], window: Interval) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + events.count * 320)
        for line in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//BooksAPI//Fleet bookings//EN", "CALSCALE:GREGORIAN"] { append(line, &out) }
        append("NAME:" + escape(name), &out)  // RFC 7986 §5.1
        append("X-WR-CALNAME:" + escape(name), &out)  // what Outlook and Google Calendar read
        append("REFRESH-INTERVAL;VALUE=DURATION:PT\(refreshMinutes)M", &out)  // RFC 7986 §5.7
        append("X-PUBLISHED-TTL:PT\(refreshMinutes)M", &out)
        for (resource, a) in events { event(resource, a, window, &out) }
        append("END:VCALENDAR", &out)
        return out
    }

    private static func event(_ resource: Resource, _ a: Allocation, _ window: Interval, _ out: inout [UInt8]) {
        let start = a.interval.from == Timestamp.openStart ? window.from : a.interval.from
        let end = a.interval.to == Timestamp.openEnd ? max(window.to, start + 60_000) : a.interval.to
        append("BEGIN:VEVENT", &out)
        append("UID:\(a.id)@booksapi", &out)
        // No METHOD: DTSTAMP is then the last change (RFC 5545 §3.8.7.2), so the bytes stay the same until one.
        append("DTSTAMP:" + stamp(a.updatedAt ?? a.createdAt ?? resource.createdAt), &out)
        append("DTSTART:" + stamp(start), &out)
        append("DTEND:" + stamp(end), &out)
        append("SUMMARY:" + escape("\(a.allocationType) · \(resource.name)"), &out)
        var notes: [String] = []
        if let description = a.description { notes.append(description) }
        if a.interval.from == Timestamp.openStart { notes.append("Open start: booked since before this calendar's window.") }
        if a.interval.to == Timestamp.openEnd { notes.append("Open end: booked until further notice.") }
        if a.status == .tentative, let expiresAt = a.expiresAt { notes.append("Hold until \(Timestamp.format(expiresAt)) unless confirmed.") }
        if a.status == .cancelled { notes.append("Cancelled" + (a.cancelReason.map { ": \($0)" } ?? ".")) }
        notes.append("\(resource.kind.type) \(resource.name) (\(resource.id)), allocation \(a.id)")
        append("DESCRIPTION:" + escape(notes.joined(separator: "\n")), &out)
        append("STATUS:" + (a.status == .confirmed ? "CONFIRMED" : a.status == .tentative ? "TENTATIVE" : "CANCELLED"), &out)
        if a.allocationType == "maintenance" { append("CATEGORIES:MAINTENANCE", &out) }
        if let created = a.createdAt { append("CREATED:" + stamp(created), &out) }
        if let updated = a.updatedAt { append("LAST-MODIFIED:" + stamp(updated), &out) }
        append("END:VEVENT", &out)
    }

    /// `YYYYMMDDTHHMMSSZ` (RFC 5545 §3.3.5, UTC), from the RFC 3339 form.
    static func stamp(_ millis: Int64) -> String {
        let text = Timestamp.format(millis)  // 2026-01-31T09:00:00(.000)Z
        var digits = ""
        for ch in text.prefix(19) where ch != "-" && ch != ":" { digits.append(ch) }
        return digits + "Z"
    }

    /// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n": out += "\\n"
            case "\r": break
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }  // other controls are not TEXT
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// One content line, folded at 75 octets without splitting a UTF-8 sequence (RFC 5545 §3.1),
    /// ended with CRLF.
    static func append(_ line: String, _ out: inout [UInt8]) {
        var count = 0
        for scalar in line.unicodeScalars {
            let width = UTF8.width(scalar)
            if count + width > 75 {
                out.append(contentsOf: [13, 10, 32])
                count = 1
            }
            UTF8.encode(scalar) { out.append($0) }
            count += width
        }
        out.append(contentsOf: [13, 10])
    }
}
