import JSON
import MongoBridge

/// The inventory on MongoDB: one collection per kind, allocations inside their resource.
/// An allocation is added by one findAndModify whose filter matches only a resource with no
/// overlapping allocation, so the check and the insert are atomic in the database, across any
/// number of API processes. Reads after a refused update only explain it (404 or the conflicts).
extension MongoStore: InventoryStore {
    private static let resourceView: Document = ["_id": .int32(0), "allocations": .int32(0)]

    /// Matches documents with no allocation overlapping [from, to): stored ends are integer
    /// milliseconds with sentinels for open ends, so one range test covers every shape.
    static func noOverlap(_ interval: Interval) -> BSON {
        .document([
            "$not": .document([
                "$elemMatch": .document([
                    "from": .document(["$lt": .int64(interval.to)]),
                    "to": .document(["$gt": .int64(interval.from)]),
                ])
            ])
        ])
    }

    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]) {
        var filter = Document()
        if let window = query.available, !window.isEmpty { filter["allocations"] = Self.noOverlap(window) }
        let sort = Self.sortDocument(query.sort.map { ($0.field.rawValue, $0.ascending) })
        return try call { () throws(MongoError) -> (total: Int, items: [Resource]) in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> (total: Int, items: [Resource]) in
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

    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource? {
        try call { () throws(MongoError) -> Resource? in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> Resource? in
                try c.findOne(Self.byID(id), projection: ["_id": .int32(0)]).flatMap { Resource(stored: $0.json, kind: kind) }
            }
        }
    }

    func createResource(_ resource: Resource) throws(StoreError) {
        try call { () throws(MongoError) in
            try pool.collection(resource.kind.collection) { (c) throws(MongoError) in
                var document = Document(json: resource.stored)
                document["created_at"] = .datetime(resource.createdAt)  // a real date in the shell
                try c.insertOne(document)
            }
        }
    }

    func renameResource(_ kind: ResourceKind, id: String, name: String) throws(StoreError) -> Resource? {
        try call { () throws(MongoError) -> Resource? in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> Resource? in
                try c.findOneAndUpdate(Self.byID(id), update: ["$set": .document(["name": .string(name)])], projection: ["_id": .int32(0)])
                    .flatMap { Resource(stored: $0.json, kind: kind) }
            }
        }
    }

    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool {
        try call { () throws(MongoError) -> Bool in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> Bool in try c.deleteOne(Self.byID(id)) > 0 }
        }
    }

    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation) throws(StoreError) -> AllocationOutcome {
        let attempt = try call { () throws(MongoError) -> CompareAndSwap<AllocationOutcome> in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> CompareAndSwap<AllocationOutcome> in
                var filter = Self.byID(resourceID)
                filter["allocations"] = Self.noOverlap(allocation.interval)
                let push: Document = ["$push": .document(["allocations": .document(Document(json: allocation.stored))])]
                for _ in 0..<8 {
                    if try c.findOneAndUpdate(filter, update: push, projection: ["_id": .int32(0), "id": .int32(1)]) != nil { return .done(.created) }
                    // Refused: explain why. If the conflict vanished meanwhile, try the atomic update again.
                    guard let current = try c.findOne(Self.byID(resourceID), projection: ["_id": .int32(0)]),
                        let resource = Resource(stored: current.json, kind: kind)
                    else { return .done(.resourceNotFound) }
                    let conflicts = resource.conflicts(with: allocation.interval)
                    if !conflicts.isEmpty { return .done(.conflict(conflicts)) }
                }
                return .contended
            }
        }
        return try attempt.outcome(maxDocumentBytes: maxDocumentBytes, what: "the \(kind.type)'s allocations")
    }

    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? {
        try call { () throws(MongoError) -> Bool? in
            try pool.collection(kind.collection) { (c) throws(MongoError) -> Bool? in
                var filter = Self.byID(resourceID)
                filter["allocations.id"] = .document(["$eq": .string(allocationID)])
                let update: Document = ["$pull": .document(["allocations": .document(["id": .document(["$eq": .string(allocationID)])])])]
                if try c.updateOne(filter, update: update).matched > 0 { return true }
                return try c.findOne(Self.byID(resourceID), projection: ["_id": .int32(0), "id": .int32(1)]) == nil ? nil : false
            }
        }
    }
}
