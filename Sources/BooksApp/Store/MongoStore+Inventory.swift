import JSON
import MongoBridge

/// The inventory on MongoDB: one collection per kind, each resource a document with its
/// allocations' intervals inside it (MongoStore+Allocations.swift has the layout and the booking),
/// and the searches over them: the availability filter and the fleet's free/busy.
extension MongoStore: InventoryStore {
    private static let resourceView: Document = ["_id": .int32(0), "allocations": .int32(0)]

    /// The indexes of each kind's collection: the unique id; each sort field then id, so a list
    /// under any single sort walks an index; and the allocation ends (multikey), which the
    /// availability search's first step, the resources busy in the window, runs on: `to` first,
    /// since a window in the future excludes every allocation that ended before it, most of them.
    static let resourceIndexes: [MongoCollection.Index] = {
        var indexes: [MongoCollection.Index] = [.init(keys: ["id": .int32(1)], name: "id_1", unique: true)]
        for field in ResourceSortField.allCases where field != .id {
            indexes.append(.init(keys: [field.rawValue: .int32(1), "id": .int32(1)], name: "\(field.rawValue)_1_id_1"))
        }
        indexes.append(.init(keys: ["allocations.to": .int32(1), "allocations.from": .int32(1)], name: "allocations.to_1_allocations.from_1"))
        return indexes
    }()

    /// The availability filter, in two steps: the ids of resources busy in the window, found on
    /// the allocation-ends index (a range scan over allocations that end after the window opens),
    /// then `id: {$nin: busy}`, which the sort's index pages through and the id index counts. One
    /// `$not $elemMatch` would read every resource's allocations to page or count.
    func availabilityFilter(_ window: Interval, at now: Int64, in c: MongoCollection) throws(MongoError) -> Document {
        var busy: [BSON] = []
        var tooMany = false
        let busyFilter: Document = ["allocations": .document(Self.blocking(window, at: now))]
        try c.find(busyFilter, limit: busyIDLimit + 1, projection: ["_id": .int32(0), "id": .int32(1)], options: findOptions) { (doc) throws(MongoError) -> Bool in
            if busy.count == busyIDLimit { tooMany = true; return false }
            if case .string(let id)? = doc["id"] { busy.append(.string(id)) }
            return true
        }
        if tooMany { return ["allocations": Self.noOverlap(window, at: now)] }
        return busy.isEmpty ? [:] : ["id": .document(["$nin": .array(busy)])]
    }

    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]) {
        let sort = Self.sortDocument(query.sort.map { ($0.field.rawValue, $0.ascending) })
        let now = Timestamp.now()
        return try call { () throws(MongoError) -> (total: Int, items: [Resource]) in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> (total: Int, items: [Resource]) in
                var filter = Document()
                if let window = query.available, !window.isEmpty { filter = try availabilityFilter(window, at: now, in: c) }
                var items: [Resource] = []
                var returned = 0
                if query.limit > 0 {
                    try c.find(filter, sort: sort, skip: query.skip, limit: query.limit, projection: Self.resourceView, options: findOptions) { (doc) throws(MongoError) -> Bool in
                        returned += 1
                        if let r = Resource(stored: doc.json, kind: kind) { items.append(r) }
                        return true
                    }
                }
                var total = Self.total(afterPage: returned, query.skip, query.limit) ?? -1
                if total < 0 { total = try c.countDocuments(filter, options: countOptions) }
                return (total, items)
            }
        }
    }

    /// Each kind's page is one aggregation on the `{name: 1, id: 1}` index that keeps, of each
    /// resource's intervals, only those overlapping the window (`$filter`, server-side, so a
    /// resource with 100,000 allocations sends a few); then one query for their details.
    func freeBusy(_ kinds: [ResourceKind], window: Interval, skip: Int, limit: Int, after: FleetCursor?, at now: Int64) throws(StoreError) -> FreeBusyPage {
        try freeBusyPages(
            kinds, skip: skip, limit: limit, after: after,
            page: { (kind, query) throws(StoreError) in
                guard query.limit > 0 else { return try listResources(kind, query) }
                return try call { () throws(MongoError) -> (total: Int, items: [Resource]) in
                    try pool.collection(kind.collection) { (c) throws(MongoError) -> (total: Int, items: [Resource]) in
                        var items: [Resource] = []
                        try c.aggregate(Self.freeBusyStages(window, skip: query.skip, limit: query.limit, after: query.after), options: findOptions) {
                            (doc) throws(MongoError) -> Bool in
                            if let r = Self.entriesOnly(doc.json, kind: kind, now: now) { items.append(r) }
                            return true
                        }
                        if let total = Self.total(afterPage: items.count, query.skip, query.limit) { return (total, items) }
                        return (try c.countDocuments([:], options: countOptions), items)
                    }
                }
            },
            busy: { (kind, resources) throws(StoreError) in
                try call { () throws(MongoError) in try withDetails(kind, resources.map { ($0.id, $0.all(overlapping: window)) }) }
            })
    }

    /// One aggregation on the allocation-ends index (resources with an entry reaching into the
    /// window, by name), each with only those entries, then one query for their details.
    func allocations(of kind: ResourceKind, overlapping window: Interval) throws(StoreError) -> [(resource: Resource, allocations: [Allocation])] {
        try call { () throws(MongoError) -> [(resource: Resource, allocations: [Allocation])] in
            let reaching: Document = ["$elemMatch": .document(["to": .document(["$gt": .int64(window.from)]), "from": .document(["$lt": .int64(window.to)])])]
            var found: [Resource] = []
            try pool.collection(kind.collection) { (c) throws(MongoError) in
                let stages: [Document] = [
                    ["$match": .document(["allocations": .document(reaching)])], ["$sort": .document(["name": .int32(1), "id": .int32(1)])], Self.intervals(overlapping: window),
                ]
                try c.aggregate(stages, options: findOptions) { (doc) throws(MongoError) -> Bool in
                    if let r = Self.entriesOnly(doc.json, kind: kind, now: Timestamp.openEnd) { found.append(r) }
                    return true
                }
            }
            let whole = try withDetails(kind, found.map { ($0.id, $0.all(overlapping: window)) })
            return zip(found, whole).map { ($0, $1) }.filter { !$0.1.isEmpty }
        }
    }

    func fileExpiredHolds(at now: Int64) throws(StoreError) -> Int {
        try call(advice: Self.repeatable) { () throws(MongoError) in try expiredHoldsFiled(at: now) }
    }

    /// One aggregation: the free ones by the availability filter (the busy ids found on the
    /// allocation-ends index), each with only its entries overlapping `window` (`$filter`).
    func resourcesForAssignment(_ kind: ResourceKind, window: Interval, freeDuring free: Interval?, at now: Int64) throws(StoreError) -> [Resource] {
        try call { () throws(MongoError) -> [Resource] in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> [Resource] in
                var stages: [Document] = []
                if let free, !free.isEmpty { stages.append(["$match": .document(try availabilityFilter(free, at: now, in: c))]) }
                stages.append(Self.intervals(overlapping: window))
                var found: [Resource] = []
                try c.aggregate(stages, options: findOptions) { (doc) throws(MongoError) -> Bool in
                    if let r = Self.entriesOnly(doc.json, kind: kind, now: now) { found.append(r) }
                    return true
                }
                return found
            }
        }
    }

    /// A page by cursor is a range on the `{name: 1, id: 1}` index, `(name, id) > (after)`, never a skip.
    static func freeBusyStages(_ window: Interval, skip: Int, limit: Int, after: (name: String, id: String)? = nil) -> [Document] {
        var stages: [Document] = []
        if let after {
            let past: BSON = .array([
                .document(["name": .document(["$gt": .string(after.name)])]),
                .document(["name": .document(["$eq": .string(after.name)]), "id": .document(["$gt": .string(after.id)])]),
            ])
            stages.append(["$match": .document(["$or": past])])
        }
        stages.append(["$sort": .document(["name": .int32(1), "id": .int32(1)])])
        if skip > 0 { stages.append(["$skip": .int64(Int64(skip))]) }
        stages.append(["$limit": .int64(Int64(limit))])
        stages.append(intervals(overlapping: window))
        return stages
    }

    /// The stage that keeps a resource's fields and, of its entries, those whose tested interval
    /// (a superset of the shown one) overlaps the window; the caller keeps the ones it shows.
    static func intervals(overlapping window: Interval) -> Document {
        let overlaps: Document = [
            "$and": .array([
                .document(["$lt": .array([.string("$$a.from"), .int64(window.to)])]), .document(["$gt": .array([.string("$$a.to"), .int64(window.from)])]),
            ])
        ]
        return [
            "$project": .document([
                "_id": .int32(0), "id": .int32(1), "name": .int32(1), "type": .int32(1), "created_at": .int32(1), "turnaround_minutes": .int32(1),
                "allocations": .document(["$filter": .document(["input": .string("$allocations"), "as": .string("a"), "cond": .document(overlaps)])]),
            ])
        ]
    }

    /// A window's allocations read only the intervals in it and their details: a day of a
    /// resource with 100,000 allocations sends a few, not all.
    func allocations(_ kind: ResourceKind, resourceID: String, overlapping window: Interval?) throws(StoreError) -> [Allocation]? {
        guard let window else { return try resource(kind, id: resourceID)?.everyAllocation }
        return try call { () throws(MongoError) -> [Allocation]? in
            var found: Resource?
            try pool.collection(kind.collection) { (c) throws(MongoError) in
                try c.aggregate([["$match": .document(Self.byID(resourceID))], Self.intervals(overlapping: window)], options: findOptions) { (doc) throws(MongoError) -> Bool in
                    found = Self.entriesOnly(doc.json, kind: kind, now: Timestamp.openEnd)
                    return false
                }
            }
            guard let found else { return nil }
            return try withDetails(kind, [(found.id, found.all(overlapping: window))])[0]
        }
    }

    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource? {
        try call { () throws(MongoError) -> Resource? in
            guard
                let document = try pool.collection(
                    kind.collection,
                    { (c) throws(MongoError) -> Document? in
                        try c.findOne(Self.byID(id), projection: ["_id": .int32(0)], options: findOptions)
                    })
            else { return nil }
            return try joined(document, kind: kind, now: Timestamp.now())
        }
    }

    func createResource(_ resource: Resource) throws(StoreError) {
        try requireUniqueIDIndex()
        try call(advice: "GET /\(resource.kind.collection)/\(resource.id) shows whether it was kept; send it again only if that answers 404", id: resource.id) {
            () throws(MongoError) in
            try pool.collection(resource.kind.collection) { (c) throws(MongoError) in
                var document = Document(json: resource.stored)
                document["created_at"] = .datetime(resource.createdAt)  // a real date in the shell
                try c.insertOne(document)
            }
        }
    }

    func updateResource(_ kind: ResourceKind, id: String, name: String?, turnaroundMinutes: Int?) throws(StoreError) -> Resource? {
        var set = Document(), unset = Document()
        if let name { set["name"] = .string(name) }
        if let turnaroundMinutes {
            if turnaroundMinutes == 0 { unset["turnaround_minutes"] = .string("") } else { set["turnaround_minutes"] = .int64(Int64(turnaroundMinutes)) }
        }
        var update = Document()
        if !set.isEmpty { update["$set"] = .document(set) }
        if !unset.isEmpty { update["$unset"] = .document(unset) }
        return try call(advice: Self.repeatable) { () throws(MongoError) -> Resource? in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> Resource? in
                try c.findOneAndUpdate(Self.byID(id), update: update, projection: Self.resourceView, options: Self.writeOptions)
                    .flatMap { Resource(stored: $0.json, kind: kind) }
            }
        }
    }

    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool {
        try call(advice: Self.repeatable) { () throws(MongoError) -> Bool in
            let deleted = try pool.collection(kind.collection) { (c) throws(MongoError) -> Bool in try c.deleteOne(Self.byID(id), options: Self.writeOptions) > 0 }
            // Then its allocations' details: left behind by a crash, they are orphans no read shows.
            _ = try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in
                try c.deleteMany(Self.detailsFilter(kind, id), options: Self.writeOptions)
            }
            return deleted
        }
    }
}
