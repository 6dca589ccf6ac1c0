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

/// One booking of a resource.
struct Allocation: Equatable, Sendable {
    var id: String
    var interval: Interval
    var allocationType: String
    var description: String?
    var data: JSONObject?

    /// As the API shows it: open ends as null, times in UTC with Z.
    var json: JSONObject {
        var o = JSONObject([JSONField("id", .string(id))])
        o["from"] = interval.fromJSON.map(JSONValue.string) ?? .null
        o["to"] = interval.toJSON.map(JSONValue.string) ?? .null
        o["allocation_type"] = .string(allocationType)
        if let description { o["description"] = .string(description) }
        if let data { o["data"] = .object(data) }
        return o
    }

    /// As stored: from/to as integer milliseconds with sentinels, so one range query covers open ends.
    var stored: JSONObject {
        var o = JSONObject([JSONField("id", .string(id)), JSONField("from", .int(interval.from)), JSONField("to", .int(interval.to))])
        o["allocation_type"] = .string(allocationType)
        if let description { o["description"] = .string(description) }
        if let data { o["data"] = .object(data) }
        return o
    }

    init(id: String, interval: Interval, allocationType: String, description: String? = nil, data: JSONObject? = nil) {
        self.id = id
        self.interval = interval
        self.allocationType = allocationType
        self.description = description
        self.data = data
    }

    init?(stored o: JSONObject) {
        guard case .string(let id)? = o["id"], let from = o["from"].flatMap(FieldRules.integer),
            let to = o["to"].flatMap(FieldRules.integer), case .string(let type)? = o["allocation_type"]
        else { return nil }
        self.init(
            id: id, interval: Interval(from: from, to: to), allocationType: type,
            description: o["description"]?.stringValue, data: o["data"]?.objectValue)
    }
}

/// A car, lorry or truck, with its allocations kept inside it so that "check for overlap, then add"
/// is one atomic update in either store.
struct Resource: Equatable, Sendable {
    var id: String
    var name: String
    var kind: ResourceKind
    var createdAt: Int64
    var allocations: [Allocation]

    /// The API's view: `{id, name, type, created_at}`, without allocations.
    var json: JSONObject {
        JSONObject([
            JSONField("id", .string(id)), JSONField("name", .string(name)), JSONField("type", .string(kind.type)),
            JSONField("created_at", .string(Timestamp.format(createdAt))),
        ])
    }

    var stored: JSONObject {
        JSONObject([
            JSONField("id", .string(id)), JSONField("name", .string(name)), JSONField("type", .string(kind.type)),
            JSONField("created_at", .int(createdAt)), JSONField("allocations", .array(allocations.map { .object($0.stored) })),
        ])
    }

    init(id: String, name: String, kind: ResourceKind, createdAt: Int64, allocations: [Allocation] = []) {
        self.id = id
        self.name = name
        self.kind = kind
        self.createdAt = createdAt
        self.allocations = allocations
    }

    init?(stored o: JSONObject, kind: ResourceKind) {
        // created_at is integer milliseconds in the journal and a BSON date (read back as RFC 3339) in MongoDB.
        let created = o["created_at"].flatMap(FieldRules.integer) ?? o["created_at"]?.stringValue.flatMap { Timestamp.parse($0) }
        guard case .string(let id)? = o["id"], case .string(let name)? = o["name"], let created else { return nil }
        var allocations: [Allocation] = []
        if case .array(let items)? = o["allocations"] {
            allocations = items.compactMap { $0.objectValue.flatMap(Allocation.init(stored:)) }
        }
        self.init(id: id, name: name, kind: kind, createdAt: created, allocations: allocations.sorted { $0.interval.from < $1.interval.from })
    }

    /// The allocations that overlap `interval`, in start order, in O(log n + k): allocations are
    /// kept sorted by start, and since no two on a resource overlap, they are sorted by end too, so
    /// the overlapping ones are the run that ends just before the first one starting at or after
    /// `interval.to`.
    func conflicts(with interval: Interval) -> [Allocation] {
        var low = 0, high = allocations.count
        while low < high {
            let mid = (low + high) / 2
            if allocations[mid].interval.from < interval.to { low = mid + 1 } else { high = mid }
        }
        var start = low
        while start > 0, allocations[start - 1].interval.to > interval.from { start -= 1 }
        return allocations[start..<low].filter { $0.interval.overlaps(interval) }
    }

    /// Whether no allocation overlaps `interval`, without collecting the conflicts.
    func isFree(during interval: Interval) -> Bool {
        var low = 0, high = allocations.count
        while low < high {
            let mid = (low + high) / 2
            if allocations[mid].interval.from < interval.to { low = mid + 1 } else { high = mid }
        }
        // Only the allocation starting last before `interval.to` can reach into it (none overlap).
        return low == 0 || !allocations[low - 1].interval.overlaps(interval)
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
}

/// Paging and sorting for GET /{type}, plus the availability window.
struct ResourceQuery: Sendable, Equatable {
    var skip = 0
    var limit = 1000
    /// Sort keys, most significant first (see ListQuery).
    var sort: [(field: ResourceSortField, ascending: Bool)] = []
    var available: Interval?

    static func == (a: ResourceQuery, b: ResourceQuery) -> Bool {
        a.skip == b.skip && a.limit == b.limit && a.available == b.available
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
