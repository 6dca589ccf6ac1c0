/// "Book any free car": POST /{type}/allocations without a resource id. Each attempt is the
/// store's own atomic booking, so a race can only make one fail, never double-book: the server
/// tries the free resources in the documented order until one takes the booking.
///
/// **The rule:** among the resources nothing blocks during the interval, the one with the fewest
/// allocations (confirmed and live holds) in the ISO week (Monday 00:00 UTC) that contains its
/// start, then by name, then by id (UTF-8 bytes, as MongoDB compares), so load spreads over the
/// fleet and the choice is the same on every store and every API process.
enum AutoAssignOutcome: Equatable, Sendable {
    case booked(Resource)
    /// None free: the earliest start at or after the requested one, within `earliestHorizon`, at
    /// which some resource is free for the same duration, and which (by start, then the rule's order).
    case noneFree(earliest: (start: Int64, resource: Resource)?)

    static func == (a: AutoAssignOutcome, b: AutoAssignOutcome) -> Bool {
        switch (a, b) {
        case (.booked(let x), .booked(let y)): return x.id == y.id
        case (.noneFree(let x), .noneFree(let y)): return x?.start == y?.start && x?.resource.id == y?.resource.id
        default: return false
        }
    }
}

extension InventoryStore {
    /// How far after the requested start the 409 looks for `earliest_available` (90 days; the route says so).
    static var earliestHorizon: Int64 { 90 * 86_400_000 }

    func autoAssign(_ kind: ResourceKind, _ allocation: Allocation, at now: Int64) throws(StoreError) -> AutoAssignOutcome {
        let interval = allocation.interval
        let week = Self.isoWeek(containing: interval.from)
        let candidates = try resourcesForAssignment(kind, window: week, freeDuring: interval, at: now)
            .map { (resource: $0, booked: $0.busy(in: week, at: now).count) }
            .sorted { a, b in
                if a.booked != b.booked { return a.booked < b.booked }
                return Self.nameThenID(a.resource, b.resource)
            }
        for candidate in candidates {
            if case .created = try allocate(kind, resourceID: candidate.resource.id, allocation, at: now) { return .booked(candidate.resource) }
            // Taken meanwhile (or decommissioned): the next one.
        }
        // Bounded ends only (the route refuses open ones), so nothing here overflows a sentinel.
        let duration = interval.to - interval.from
        let latest = min(interval.from + Self.earliestHorizon, Timestamp.latest)
        let reach = Allocation.blockedEnd(latest + duration, turnaroundMinutes: Resource.maxTurnaroundMinutes)
        var best: (start: Int64, resource: Resource)?
        for resource in try resourcesForAssignment(kind, window: Interval(from: interval.from, to: reach), freeDuring: nil, at: now) {
            guard let start = resource.earliestStart(from: interval.from, duration: duration, notAfter: latest, at: now) else { continue }
            if best == nil || start < best!.start || (start == best!.start && Self.nameThenID(resource, best!.resource)) { best = (start, resource) }
        }
        return .noneFree(earliest: best)
    }

    private static func nameThenID(_ a: Resource, _ b: Resource) -> Bool {
        if a.name != b.name { return a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
        return a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
    }

    /// [Monday 00:00 UTC, the next Monday) around `instant`; 1970-01-01 was a Thursday.
    static func isoWeek(containing instant: Int64) -> Interval {
        let day: Int64 = 86_400_000
        let days = instant >= 0 ? instant / day : -((-instant + day - 1) / day)
        let monday = days - (((days + 3) % 7) + 7) % 7
        return Interval(from: monday * day, to: (monday + 7) * day)
    }
}
