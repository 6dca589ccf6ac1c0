import JSON
import MongoBridge

/// Allocations on MongoDB. Each resource document keeps, of each of its allocations, only what
/// the overlap test needs (`{id, from, to}`, about 80 bytes), so a resource holds some 200,000
/// within MongoDB's 16 MiB document limit; the rest of each allocation (type, description, data:
/// up to 16 KiB) lives in the `allocations` collection. An allocation is added by one
/// findAndModify whose filter matches only a resource with no overlapping allocation, so the
/// check and the insert are atomic in the database, across any number of API processes. Its
/// details are written first: one whose interval never reached the resource (refused, or a crash
/// between the two) is an orphan no read shows, since reads start from the resource's list.
/// Documents written before this layout keep full allocations inline, and are read as they are.
extension MongoStore {
    /// Where allocation details live, and how they are found.
    static let detailsCollection = "allocations"
    static let detailsIndexes: [MongoCollection.Index] = [
        .init(keys: ["kind": .int32(1), "resource_id": .int32(1), "id": .int32(1)], name: "kind_1_resource_id_1_id_1", unique: true)
    ]

    /// A resource's allocation details, or one of them.
    static func detailsFilter(_ kind: ResourceKind, _ resourceID: String, id: String? = nil) -> Document {
        var filter: Document = ["kind": .document(["$eq": .string(kind.type)]), "resource_id": .document(["$eq": .string(resourceID)])]
        if let id { filter["id"] = .document(["$eq": .string(id)]) }
        return filter
    }

    /// What the resource document keeps of an allocation.
    static func interval(of allocation: Allocation) -> Document {
        ["id": .string(allocation.id), "from": .int64(allocation.interval.from), "to": .int64(allocation.interval.to)]
    }

    /// The resource with its allocations whole: each interval the document lists, with its
    /// details (inline in documents of the old layout, else from `allocations`).
    func joined(_ document: Document, kind: ResourceKind) throws(MongoError) -> Resource? {
        var stored = document.json
        guard case .array(let intervals)? = stored["allocations"], case .string(let id)? = stored["id"] else {
            return Resource(stored: stored, kind: kind)
        }
        let needDetails = intervals.contains { $0.objectValue?["allocation_type"] == nil }
        var details: [String: JSONObject] = [:]
        if needDetails {
            try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in
                try c.find(Self.detailsFilter(kind, id), projection: ["_id": .int32(0)], options: findOptions) { (doc) throws(MongoError) -> Bool in
                    let o = doc.json
                    if case .string(let allocationID)? = o["id"] { details[allocationID] = o }
                    return true
                }
            }
        }
        stored["allocations"] = .array(
            intervals.map { entry in
                guard let interval = entry.objectValue, interval["allocation_type"] == nil, case .string(let allocationID)? = interval["id"],
                    var whole = details[allocationID]
                else { return entry }
                whole["from"] = interval["from"]
                whole["to"] = interval["to"]
                return .object(whole)
            })
        return Resource(stored: stored, kind: kind)
    }

    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation) throws(StoreError) -> AllocationOutcome {
        let path = "/\(kind.collection)/\(resourceID)/allocations"
        let advice = "GET \(path) shows whether allocation \(allocation.id) was kept; check before booking again (a repeat would answer 409 naming it)"
        let full = "the \(kind.type)'s allocations fill MongoDB's 16 MiB document limit; delete past allocations (DELETE \(path)/{allocation_id}) to book it again"
        let attempt = try call(advice: advice, full: full) { () throws(MongoError) -> CompareAndSwap<AllocationOutcome> in
            // The details first, so that the moment the interval is in, the allocation is whole.
            var details = Document(json: allocation.stored)
            details["kind"] = .string(kind.type)
            details["resource_id"] = .string(resourceID)
            try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in try c.insertOne(details) }
            let outcome: CompareAndSwap<AllocationOutcome>
            do throws(MongoError) {
                outcome = try pool.collection(kind.collection) { (c) throws(MongoError) -> CompareAndSwap<AllocationOutcome> in
                    var filter = Self.byID(resourceID)
                    filter["allocations"] = Self.noOverlap(allocation.interval)
                    let push: Document = ["$push": .document(["allocations": .document(Self.interval(of: allocation))])]
                    for _ in 0..<8 {
                        if try c.findOneAndUpdate(filter, update: push, projection: ["_id": .int32(0), "id": .int32(1)], options: Self.writeOptions) != nil {
                            return .done(.created)
                        }
                        // Refused: explain why from the intervals alone. If the conflict vanished meanwhile, try again.
                        guard let current = try c.findOne(Self.byID(resourceID), projection: ["_id": .int32(0)], options: findOptions, primary: true),
                            let resource = Resource(stored: Self.intervalsOnly(current.json), kind: kind)
                        else { return .done(.resourceNotFound) }
                        let conflicts = resource.conflicts(with: allocation.interval)
                        if !conflicts.isEmpty { return .done(.conflict(conflicts)) }
                    }
                    return .contended
                }
            } catch .tooLarge(let code, let message) {
                try removeDetails(kind, resourceID, id: allocation.id)  // refused for certain; any other failure may have pushed it
                throw .tooLarge(code: code, message: message)
            }
            if case .done(.created) = outcome { return outcome }
            try removeDetails(kind, resourceID, id: allocation.id)
            return outcome
        }
        return try attempt.outcome(maxDocumentBytes: maxDocumentBytes, what: "the \(kind.type)'s allocations")
    }

    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? {
        try call(advice: Self.repeatable) { () throws(MongoError) -> Bool? in
            let removed = try pool.collection(kind.collection) { (c) throws(MongoError) -> Bool? in
                var filter = Self.byID(resourceID)
                filter["allocations.id"] = .document(["$eq": .string(allocationID)])
                let update: Document = ["$pull": .document(["allocations": .document(["id": .document(["$eq": .string(allocationID)])])])]
                if try c.updateOne(filter, update: update, options: Self.writeOptions).matched > 0 { return true }
                return try c.findOne(Self.byID(resourceID), projection: ["_id": .int32(0), "id": .int32(1)], options: findOptions, primary: true) == nil ? nil : false
            }
            if removed == true { try removeDetails(kind, resourceID, id: allocationID) }
            return removed
        }
    }

    /// Deletes one allocation's details (its interval is not, or no longer, in the resource).
    func removeDetails(_ kind: ResourceKind, _ resourceID: String, id: String) throws(MongoError) {
        try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in
            _ = try c.deleteOne(Self.detailsFilter(kind, resourceID, id: id), options: Self.writeOptions)
        }
    }

    /// A resource document with each allocation reduced to its interval (type left blank), enough
    /// to explain a refused booking without reading any details.
    static func intervalsOnly(_ stored: JSONObject) -> JSONObject {
        var o = stored
        if case .array(let entries)? = o["allocations"] {
            o["allocations"] = .array(
                entries.map { entry in
                    guard var a = entry.objectValue else { return entry }
                    if a["allocation_type"] == nil { a["allocation_type"] = .string("") }
                    return .object(a)
                })
        }
        return o
    }

    /// The page's allocations whole: details (type, description, data) for every interval that
    /// has none inline, in one query over the page's resources.
    func withDetails(_ kind: ResourceKind, _ resources: [Resource]) throws(MongoError) -> [[Allocation]] {
        let missing = resources.flatMap { r in r.allocations.filter { $0.allocationType.isEmpty }.map { (r.id, $0.id) } }
        var details: [String: [String: JSONObject]] = [:]
        if !missing.isEmpty {
            let filter: Document = [
                "kind": .document(["$eq": .string(kind.type)]),
                "resource_id": .document(["$in": .array(Array(Set(missing.map(\.0))).map(BSON.string))]),
                "id": .document(["$in": .array(missing.map { .string($0.1) })]),
            ]
            try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in
                try c.find(filter, projection: ["_id": .int32(0)], options: findOptions) { (doc) throws(MongoError) -> Bool in
                    let o = doc.json
                    if case .string(let r)? = o["resource_id"], case .string(let a)? = o["id"] { details[r, default: [:]][a] = o }
                    return true
                }
            }
        }
        return resources.map { r in
            r.allocations.map { a in
                guard a.allocationType.isEmpty, var whole = details[r.id]?[a.id] else { return a }
                whole["from"] = .int(a.interval.from)
                whole["to"] = .int(a.interval.to)
                return Allocation(stored: whole) ?? a
            }
        }
    }
}
