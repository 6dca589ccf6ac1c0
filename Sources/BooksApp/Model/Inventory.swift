import JSON

/// The inventory's resource types, declared once: adding a fourth is one line here.
struct ResourceKind: Hashable, Sendable {
    /// The route and the collection: /cars, collection `cars`.
    let collection: String
    /// The `type` field of each resource.
    let type: String

    static let all: [ResourceKind] = [
        ResourceKind(collection: "cars", type: "car"),
        ResourceKind(collection: "lorries", type: "lorry"),
        ResourceKind(collection: "trucks", type: "truck"),
    ]

    static func named(_ collection: Substring) -> ResourceKind? { all.first { $0.collection == collection } }
}

/// A car, lorry or truck, with its allocations kept inside it so that "check for overlap, then add"
/// is one atomic update in either store.
struct Resource: Equatable, Sendable {
    var id: String
    var name: String
    var kind: ResourceKind
    var createdAt: Int64
    /// Minutes after each booking's end that it also blocks (cleaning, refuelling), applied to
    /// bookings made or moved after it is set.
    var turnaroundMinutes = 0
    /// Confirmed and tentative allocations, sorted by start; their blocked intervals never overlap.
    var allocations: [Allocation]
    /// Cancelled allocations, sorted by start: history, blocking nothing.
    var cancelled: [Allocation] = []

    static let maxTurnaroundMinutes = 7 * 24 * 60

    /// The API's view: `{id, name, type, turnaround_minutes, created_at}`, without allocations.
    var json: JSONObject {
        JSONObject([
            JSONField("id", .string(id)), JSONField("name", .string(name)), JSONField("type", .string(kind.type)),
            JSONField("turnaround_minutes", .int(Int64(turnaroundMinutes))), JSONField("created_at", .string(Timestamp.format(createdAt))),
        ])
    }

    var stored: JSONObject {
        var o = JSONObject([JSONField("id", .string(id)), JSONField("name", .string(name)), JSONField("type", .string(kind.type))])
        o["created_at"] = .int(createdAt)
        if turnaroundMinutes != 0 { o["turnaround_minutes"] = .int(Int64(turnaroundMinutes)) }
        o["allocations"] = .array((allocations + cancelled).map { .object($0.stored) })
        return o
    }

    init(id: String, name: String, kind: ResourceKind, createdAt: Int64, turnaroundMinutes: Int = 0, allocations: [Allocation] = [], cancelled: [Allocation] = []) {
        self.id = id
        self.name = name
        self.kind = kind
        self.createdAt = createdAt
        self.turnaroundMinutes = turnaroundMinutes
        self.allocations = allocations
        self.cancelled = cancelled
    }

    /// From a stored document. With `now`, holds expired by then are filed with the cancelled ones
    /// (as they are: readers show them through `effective(at:)`), since MongoDB's documents keep
    /// them until swept, and a later booking may overlap them.
    init?(stored o: JSONObject, kind: ResourceKind, now: Int64? = nil) {
        // created_at is integer milliseconds in the journal and a BSON date (read back as RFC 3339) in MongoDB.
        let created = o["created_at"].flatMap(FieldRules.integer) ?? o["created_at"]?.stringValue.flatMap { Timestamp.parse($0) }
        guard case .string(let id)? = o["id"], case .string(let name)? = o["name"], let created else { return nil }
        let turnaround = o["turnaround_minutes"].flatMap(FieldRules.integer).map { Int(clamping: $0) } ?? 0
        var live: [Allocation] = [], cancelled: [Allocation] = []
        if case .array(let items)? = o["allocations"] {
            for case let a? in items.map({ $0.objectValue.flatMap(Allocation.init(stored:)) }) {
                let shown = now.map { a.effective(at: $0) } ?? a
                if shown.status == .cancelled { cancelled.append(a) } else { live.append(a) }
            }
        }
        self.init(
            id: id, name: name, kind: kind, createdAt: created, turnaroundMinutes: turnaround, allocations: live.sorted { $0.interval.from < $1.interval.from },
            cancelled: cancelled.sorted { $0.interval.from < $1.interval.from })
    }

    /// What a booking of `interval` would block: its end plus this resource's turnaround.
    func blocked(_ interval: Interval) -> Interval {
        Interval(from: interval.from, to: Allocation.blockedEnd(interval.to, turnaroundMinutes: turnaroundMinutes))
    }

    /// The allocations blocking at `now` whose blocked intervals overlap `blocked`, in start order,
    /// in O(log n + k): the live ones are sorted by start and, since their blocked intervals never
    /// overlap, by blocked end too, so the overlapping ones are the run that ends just before the
    /// first one starting at or after `blocked.to`. `except` is left out (the one being moved).
    func conflicts(with blocked: Interval, at now: Int64, except: String? = nil, limit: Int = .max) -> [Allocation] {
        overlapping(blocked, limit: limit) { $0.id != except && $0.blocks(at: now) && $0.blocked.overlaps(blocked) }
    }

    /// Holds expired by `now` that `blocked` overlaps: a booking over them files them as cancelled
    /// in the same write, so live allocations never overlap.
    func expiredHolds(overlapping blocked: Interval, at now: Int64) -> [Allocation] {
        overlapping(blocked) { $0.status == .tentative && !$0.blocks(at: now) && $0.blocked.overlaps(blocked) }
    }

    /// Whether nothing blocks `interval` at `now`, without collecting the conflicts.
    func isFree(during interval: Interval, at now: Int64) -> Bool { conflicts(with: interval, at: now, limit: 1).isEmpty }

    /// The allocations blocking at `now` whose shown interval overlaps `window`, in start order.
    func busy(in window: Interval, at now: Int64) -> [Allocation] {
        overlapping(window) { $0.blocks(at: now) && $0.interval.overlaps(window) }
    }

    /// Every allocation, of any status, whose shown interval overlaps `window`, in start order.
    func all(overlapping window: Interval) -> [Allocation] {
        (overlapping(window) { $0.interval.overlaps(window) } + cancelled.filter { $0.interval.overlaps(window) }).sorted { $0.interval.from < $1.interval.from }
    }

    /// The live allocations passing `keep` among those whose blocked interval could reach `range`.
    private func overlapping(_ range: Interval, limit: Int = .max, _ keep: (Allocation) -> Bool) -> [Allocation] {
        var found: [Allocation] = []
        var i = insertionPoint(before: range.to)
        while i > 0, found.count < limit, allocations[i - 1].blockedUntil > range.from {
            i -= 1
            if keep(allocations[i]) { found.append(allocations[i]) }
        }
        return found.reversed()
    }

    /// The earliest start at or after `from`, and not after `latest`, at which a booking of
    /// `duration` (plus the turnaround) is free at `now`: each refusal moves the start to the end
    /// of what is in the way, so it takes one search per allocation passed.
    func earliestStart(from: Int64, duration: Int64, notAfter latest: Int64, at now: Int64) -> Int64? {
        var start = from
        while start <= latest {
            let (end, overflow) = start.addingReportingOverflow(duration)
            guard !overflow, end < Timestamp.openEnd else { return nil }
            let inTheWay = conflicts(with: blocked(Interval(from: start, to: end)), at: now)
            guard let next = inTheWay.map(\.blockedUntil).max() else { return start }
            guard next > start, next != Timestamp.openEnd else { return nil }
            start = next
        }
        return nil
    }

    /// Every allocation, live then cancelled, in start order.
    var everyAllocation: [Allocation] { (allocations + cancelled).sorted { $0.interval.from < $1.interval.from } }

    /// The index of the first live allocation starting at or after `end`.
    private func insertionPoint(before end: Int64) -> Int {
        var low = 0, high = allocations.count
        while low < high {
            let mid = (low + high) / 2
            if allocations[mid].interval.from < end { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Where an allocation starting at `from` goes in the start-sorted list (after equal starts).
    func insertionPoint(for from: Int64) -> Int {
        var low = 0, high = allocations.count
        while low < high {
            let mid = (low + high) / 2
            if allocations[mid].interval.from <= from { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Puts an allocation in its list by status, keeping both sorted; `replacing` first removes the
    /// one with its id (a search of the lists, which a new booking skips).
    mutating func put(_ allocation: Allocation, replacing: Bool = true) {
        if replacing { remove(allocation.id) }
        if allocation.status == .cancelled {
            let position = cancelled.firstIndex { $0.interval.from > allocation.interval.from } ?? cancelled.count
            cancelled.insert(allocation, at: position)
        } else {
            allocations.insert(allocation, at: insertionPoint(for: allocation.interval.from))
        }
    }

    /// Removes an allocation from either list; true if it was there.
    @discardableResult
    mutating func remove(_ allocationID: String) -> Bool {
        if let i = allocations.firstIndex(where: { $0.id == allocationID }) {
            allocations.remove(at: i)
            return true
        }
        if let i = cancelled.firstIndex(where: { $0.id == allocationID }) {
            cancelled.remove(at: i)
            return true
        }
        return false
    }

    func allocation(_ allocationID: String) -> Allocation? {
        allocations.first { $0.id == allocationID } ?? cancelled.first { $0.id == allocationID }
    }
}

/// Paging and sorting for GET /{type}, plus the availability window.
struct ResourceQuery: Sendable, Equatable {
    var skip = 0
    var limit = 1000
    /// Sort keys, most significant first (see ListQuery).
    var sort: [(field: ResourceSortField, ascending: Bool)] = []
    var available: Interval?
    /// Keyset paging by name: only resources after (name, id), in the name order.
    var after: (name: String, id: String)?

    static func == (a: ResourceQuery, b: ResourceQuery) -> Bool {
        a.skip == b.skip && a.limit == b.limit && a.available == b.available && a.after?.name == b.after?.name && a.after?.id == b.after?.id
            && a.sort.map(\.field) == b.sort.map(\.field) && a.sort.map(\.ascending) == b.sort.map(\.ascending)
    }
}

enum ResourceSortField: String, CaseIterable, Sendable {
    case id, name, created_at
}

enum AllocationOutcome: Equatable, Sendable {
    case created
    case resourceNotFound
    case conflict([Allocation])
}

/// A change to one allocation (PATCH), as the route decided it from the current one: the store
/// applies it only if the allocation is still `expected` (compare-and-swap), with the overlap
/// test ignoring the allocation itself.
enum AllocationChangeOutcome: Equatable, Sendable {
    case changed(Allocation)
    case resourceNotFound
    case allocationNotFound
    /// Someone else changed it first: the route decides again from this one.
    case stale(Allocation)
    case conflict([Allocation])
    /// A move's target resource does not exist.
    case targetNotFound
}
