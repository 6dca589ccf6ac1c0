import Glibc
import JSON
import MongoBridge

/// Allocations on MongoDB. Each resource document keeps, of each of its allocations, only what
/// the overlap test needs: an entry `{id, from, to, end?, status?, expires_at?, updated_at?}`
/// (about 100 bytes), where `to` is the end the test uses (the shown end plus the turnaround when
/// booked; the shown end is `end` when they differ), so a resource holds some 150,000 within the
/// 16 MiB document limit. The rest (type, description, data: up to 16 KiB; created_at;
/// cancel_reason) lives in the `allocations` collection.
///
/// **Booking** is one findAndModify whose filter matches only a resource with no allocation that
/// blocks (confirmed, or a hold not yet expired) overlapping the new one, so the check and the
/// insert are atomic in the database, across any number of API processes. Its details are written
/// first: one whose entry never reached the resource (refused, or a crash between the two) is an
/// orphan no read shows, since reads start from the resource's entries.
///
/// **A change** (PATCH) takes three steps, each safe to be the last: (1) the new details go into the
/// details document under `pending.<version>` (the new updated_at), invisible; (2) one findAndModify
/// replaces the entry if it still has the expected updated_at and nothing else overlaps (arrayFilters);
/// (3) the pending details become the document's own, if it is not already newer. A reader takes
/// `pending[entry.updated_at]` when it is there, else the document's own: killed after (1), the old
/// allocation is shown whole; after (2), the new one is.
///
/// Documents written before this layout keep full allocations inline, and are read as they are.
extension MongoStore {
    /// Where allocation details live, and how they are found.
    static let detailsCollection = "allocations"
    static let detailsIndexes: [MongoCollection.Index] = [
        .init(keys: ["kind": .int32(1), "resource_id": .int32(1), "id": .int32(1)], name: "kind_1_resource_id_1_id_1", unique: true)
    ]
    /// The fields that live in the details document (and in a pending version of it).
    private static let detailFields = ["allocation_type", "description", "data", "cancel_reason"]

    /// A resource's allocation details, or one of them.
    static func detailsFilter(_ kind: ResourceKind, _ resourceID: String, id: String? = nil) -> Document {
        var filter: Document = ["kind": .document(["$eq": .string(kind.type)]), "resource_id": .document(["$eq": .string(resourceID)])]
        if let id { filter["id"] = .document(["$eq": .string(id)]) }
        return filter
    }

    /// What the resource document keeps of an allocation.
    static func entry(of a: Allocation) -> Document {
        var e: Document = ["id": .string(a.id), "from": .int64(a.interval.from), "to": .int64(a.blockedUntil)]
        if a.blockedUntil != a.interval.to { e["end"] = .int64(a.interval.to) }
        if a.status != .confirmed { e["status"] = .string(a.status.rawValue) }
        if let expiresAt = a.expiresAt { e["expires_at"] = .int64(expiresAt) }
        // Left out until the first change (created_at, in the details, stands for it), to keep entries small.
        if let updatedAt = a.updatedAt, updatedAt != a.createdAt { e["updated_at"] = .int64(updatedAt) }
        return e
    }

    /// An entry in `Allocation.stored`'s shape (`to` the shown end, `blocked_until` the tested one);
    /// an inline allocation of the old layout is already in it.
    static func storedShape(_ entry: JSONObject) -> JSONObject {
        var o = entry
        if let end = o["end"] {
            o["blocked_until"] = o["to"]
            o["to"] = end
            o["end"] = nil
        }
        return o
    }

    /// An entry that blocks at `now` and whose tested interval overlaps `blocked` (`except`: not
    /// that one). Stored ends are integer milliseconds with sentinels for open ends, so one range
    /// test covers every shape; both bounds sit inside one `$elemMatch`, so they hold for the same
    /// allocation and the multikey index bounds both
    /// (https://www.mongodb.com/docs/manual/core/multikey-index-bounds/). A missing status is confirmed.
    static func blocking(_ blocked: Interval, at now: Int64, except: String? = nil) -> Document {
        var match: Document = [
            "to": .document(["$gt": .int64(blocked.from)]), "from": .document(["$lt": .int64(blocked.to)]),
            "status": .document(["$ne": .string(AllocationStatus.cancelled.rawValue)]),
            "$or": .array([.document(["status": .document(["$ne": .string(AllocationStatus.tentative.rawValue)])]), .document(["expires_at": .document(["$gt": .int64(now)])])]),
        ]
        if let except { match["id"] = .document(["$ne": .string(except)]) }
        return ["$elemMatch": .document(match)]
    }

    /// Matches documents with nothing blocking in `blocked`: the booking's condition, and the
    /// availability search's fallback filter, which no index serves.
    static func noOverlap(_ blocked: Interval, at now: Int64, except: String? = nil) -> BSON { .document(["$not": .document(blocking(blocked, at: now, except: except))]) }

    /// The resource's turnaround is still `minutes` (stored only when not 0).
    static func turnaround(is minutes: Int) -> BSON {
        minutes == 0 ? .document(["$exists": .bool(false)]) : .document(["$eq": .int64(Int64(minutes))])
    }

    /// An allocation from its entry and its details document (nil: none), the pending version
    /// that matches the entry's updated_at preferred.
    static func merge(_ entry: JSONObject, details: JSONObject?) -> Allocation? {
        var o = storedShape(entry)
        if o["allocation_type"] == nil, let details {
            var source = details
            if case .object(let pending)? = details["pending"], case .int(let version)? = entry["updated_at"], case .object(let p)? = pending[String(version)] { source = p }
            for field in detailFields { o[field] = source[field] }
            o["created_at"] = details["created_at"]
            if o["updated_at"] == nil { o["updated_at"] = details["created_at"] }
        }
        if o["allocation_type"] == nil { o["allocation_type"] = .string("") }
        return Allocation(stored: o)
    }

    /// The resource with its allocations whole, as readers see it at `now`.
    func joined(_ document: Document, kind: ResourceKind, now: Int64) throws(MongoError) -> Resource? {
        let stored = document.json
        guard case .array(let entries)? = stored["allocations"], case .string(let id)? = stored["id"] else {
            return Resource(stored: stored, kind: kind, now: now)
        }
        var details: [String: JSONObject] = [:]
        if entries.contains(where: { $0.objectValue?["allocation_type"] == nil }) {
            try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in
                try c.find(Self.detailsFilter(kind, id), projection: ["_id": .int32(0)], options: findOptions) { (doc) throws(MongoError) -> Bool in
                    let o = doc.json
                    if case .string(let allocationID)? = o["id"] { details[allocationID] = o }
                    return true
                }
            }
        }
        var whole = stored
        whole["allocations"] = .array(
            entries.compactMap { entry in
                guard let e = entry.objectValue, case .string(let allocationID)? = e["id"] else { return nil }
                return Self.merge(e, details: details[allocationID]).map { .object($0.stored) }
            })
        return Resource(stored: whole, kind: kind, now: now)
    }

    /// The resource with only its entries (types blank): enough to explain a refused booking.
    static func entriesOnly(_ stored: JSONObject, kind: ResourceKind, now: Int64) -> Resource? {
        var o = stored
        if case .array(let entries)? = o["allocations"] {
            o["allocations"] = .array(entries.compactMap { $0.objectValue.flatMap { merge($0, details: nil) }.map { .object($0.stored) } })
        }
        return Resource(stored: o, kind: kind, now: now)
    }

    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation, at now: Int64) throws(StoreError) -> AllocationOutcome {
        let path = "/\(kind.collection)/\(resourceID)/allocations"
        let advice = "GET \(path) shows whether allocation \(allocation.id) was kept; check before booking again (a repeat would answer 409 naming it)"
        let attempt = try call(advice: advice, full: Self.fullAdvice(kind, path)) { () throws(MongoError) -> CompareAndSwap<AllocationOutcome> in
            // The details first, so that the moment the entry is in, the allocation is whole.
            var details = Document(json: allocation.stored)
            details["kind"] = .string(kind.type)
            details["resource_id"] = .string(resourceID)
            try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in try c.insertOne(details) }
            let outcome: CompareAndSwap<AllocationOutcome>
            do throws(MongoError) {
                outcome = try pool.collection(kind.collection) { (c) throws(MongoError) -> CompareAndSwap<AllocationOutcome> in
                    var turnaround = 0  // most resources have none; a refusal says if this one has
                    for _ in 0..<8 {
                        var booked = allocation
                        booked.blockedUntil = Allocation.blockedEnd(allocation.interval.to, turnaroundMinutes: turnaround)
                        var filter = Self.byID(resourceID)
                        filter["turnaround_minutes"] = Self.turnaround(is: turnaround)
                        if booked.blocks(at: now) { filter["allocations"] = Self.noOverlap(booked.blocked, at: now) }
                        let push: Document = ["$push": .document(["allocations": .document(Self.entry(of: booked))])]
                        if try c.findOneAndUpdate(filter, update: push, projection: ["_id": .int32(0), "id": .int32(1)], options: Self.writeOptions) != nil {
                            return .done(.created)
                        }
                        // Refused: explain why from the entries alone. If the conflict vanished meanwhile, try again.
                        guard let current = try c.findOne(Self.byID(resourceID), projection: ["_id": .int32(0)], options: findOptions, primary: true),
                            let resource = Self.entriesOnly(current.json, kind: kind, now: now)
                        else { return .done(.resourceNotFound) }
                        if resource.turnaroundMinutes != turnaround { turnaround = resource.turnaroundMinutes; continue }
                        let conflicts = resource.conflicts(with: resource.blocked(allocation.interval), at: now)
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

    /// One findAndModify books them all or none: its filter requires no blocking entry in the way
    /// of any of them, and it `$push`es them with `$each`. Details first, as for one.
    func allocateAll(_ kind: ResourceKind, resourceID: String, _ allocations: [Allocation], at now: Int64) throws(StoreError) -> AllocationOutcome {
        let path = "/\(kind.collection)/\(resourceID)/allocations"
        let advice = "GET \(path) shows whether the \(allocations.count) allocations were kept (all or none); check before booking again"
        let attempt = try call(advice: advice, full: Self.fullAdvice(kind, path)) { () throws(MongoError) -> CompareAndSwap<AllocationOutcome> in
            let details = allocations.map { a -> Document in
                var d = Document(json: a.stored)
                d["kind"] = .string(kind.type)
                d["resource_id"] = .string(resourceID)
                return d
            }
            try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in
                if let failure = try c.insertMany(details) { throw failure.error }
            }
            let outcome: CompareAndSwap<AllocationOutcome>
            do throws(MongoError) {
                outcome = try pool.collection(kind.collection) { (c) throws(MongoError) -> CompareAndSwap<AllocationOutcome> in
                    var turnaround = 0
                    for _ in 0..<8 {
                        let booked = allocations.map { a -> Allocation in
                            var b = a
                            b.blockedUntil = Allocation.blockedEnd(a.interval.to, turnaroundMinutes: turnaround)
                            return b
                        }
                        // The batch against itself, buffers included (the route refused shown overlaps).
                        let ordered = booked.filter { $0.blocks(at: now) }.sorted { $0.interval.from < $1.interval.from }
                        if let clash = zip(ordered, ordered.dropFirst()).first(where: { $0.0.blocked.overlaps($0.1.blocked) }) { return .done(.conflict([clash.0])) }
                        var filter = Self.byID(resourceID)
                        filter["turnaround_minutes"] = Self.turnaround(is: turnaround)
                        let free = booked.filter { $0.blocks(at: now) }.map { BSON.document(["allocations": Self.noOverlap($0.blocked, at: now)]) }
                        if !free.isEmpty { filter["$and"] = .array(free) }
                        let push: Document = ["$push": .document(["allocations": .document(["$each": .array(booked.map { .document(Self.entry(of: $0)) })])])]
                        if try c.findOneAndUpdate(filter, update: push, projection: ["_id": .int32(0), "id": .int32(1)], options: Self.writeOptions) != nil {
                            return .done(.created)
                        }
                        guard let current = try c.findOne(Self.byID(resourceID), projection: ["_id": .int32(0)], options: findOptions, primary: true),
                            let resource = Self.entriesOnly(current.json, kind: kind, now: now)
                        else { return .done(.resourceNotFound) }
                        if resource.turnaroundMinutes != turnaround { turnaround = resource.turnaroundMinutes; continue }
                        var conflicts: [Allocation] = []
                        for a in allocations {
                            for c in resource.conflicts(with: resource.blocked(a.interval), at: now) where !conflicts.contains(where: { $0.id == c.id }) { conflicts.append(c) }
                        }
                        if !conflicts.isEmpty { return .done(.conflict(conflicts.sorted { $0.interval.from < $1.interval.from })) }
                    }
                    return .contended
                }
            } catch .tooLarge(let code, let message) {
                try removeAllDetails(kind, resourceID, allocations.map(\.id))
                throw .tooLarge(code: code, message: message)
            }
            if case .done(.created) = outcome { return outcome }
            try removeAllDetails(kind, resourceID, allocations.map(\.id))
            return outcome
        }
        return try attempt.outcome(maxDocumentBytes: maxDocumentBytes, what: "the \(kind.type)'s allocations")
    }

    private func removeAllDetails(_ kind: ResourceKind, _ resourceID: String, _ ids: [String]) throws(MongoError) {
        var filter = Self.detailsFilter(kind, resourceID)
        filter["id"] = .document(["$in": .array(ids.map(BSON.string))])
        _ = try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in try c.deleteMany(filter, options: Self.writeOptions) }
    }

    private static func fullAdvice(_ kind: ResourceKind, _ path: String) -> String {
        "the \(kind.type)'s allocations fill MongoDB's 16 MiB document limit; delete past allocations (DELETE \(path)/{allocation_id}) to book it again"
    }

    /// The entry (by `$elemMatch` projection, not the resource's other entries) and its details.
    func allocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> AllocationLookup? {
        try call { () throws(MongoError) -> AllocationLookup? in try lookup(kind, resourceID, allocationID) }
    }

    func lookup(_ kind: ResourceKind, _ resourceID: String, _ allocationID: String) throws(MongoError) -> AllocationLookup? {
        let projection: Document = [
            "_id": .int32(0), "turnaround_minutes": .int32(1), "allocations": .document(["$elemMatch": .document(["id": .document(["$eq": .string(allocationID)])])]),
        ]
        guard
            let document = try pool.collection(
                kind.collection, { (c) throws(MongoError) in try c.findOne(Self.byID(resourceID), projection: projection, options: findOptions, primary: true) })
        else { return nil }
        let o = document.json
        let turnaround = o["turnaround_minutes"].flatMap(FieldRules.integer).map { Int(clamping: $0) } ?? 0
        guard case .array(let entries)? = o["allocations"], let entry = entries.first?.objectValue else { return AllocationLookup(turnaroundMinutes: turnaround, allocation: nil) }
        var details: JSONObject?
        if entry["allocation_type"] == nil {
            details = try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in
                try c.findOne(Self.detailsFilter(kind, resourceID, id: allocationID), projection: ["_id": .int32(0)], options: findOptions, primary: true)?.json
            }
        }
        return AllocationLookup(turnaroundMinutes: turnaround, allocation: Self.merge(entry, details: details))
    }

    func changeAllocation(_ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, at now: Int64) throws(StoreError) -> AllocationChangeOutcome {
        let path = "/\(kind.collection)/\(resourceID)/allocations"
        let version = new.updatedAt ?? now
        let attempt = try call(advice: Self.repeatable, full: Self.fullAdvice(kind, path)) { () throws(MongoError) -> CompareAndSwap<AllocationChangeOutcome> in
            try details(kind, resourceID, new.id) { (c, filter) throws(MongoError) in  // (1) pending, invisible
                var insert: Document = ["kind": .string(kind.type), "resource_id": .string(resourceID), "id": .string(new.id)]
                if let created = new.createdAt { insert["created_at"] = .int64(created) }
                let update: Document = ["$set": .document(["pending.\(version)": .document(Self.detailDocument(new))]), "$setOnInsert": .document(insert)]
                _ = try c.updateOne(filter, update: update, upsert: true, options: Self.writeOptions)
            }
            let outcome = try pool.collection(kind.collection) { (c) throws(MongoError) -> CompareAndSwap<AllocationChangeOutcome> in  // (2)
                var turnaround = 0
                for attempt in 0..<8 {
                    var changed = new
                    changed.blockedUntil = Allocation.blockedEnd(new.interval.to, turnaroundMinutes: turnaround)
                    var filter = Self.byID(resourceID)
                    filter["turnaround_minutes"] = Self.turnaround(is: turnaround)
                    // The version: updated_at, absent until the first change (so absent or equal, see
                    // entry(of:)), and no move under way (MongoStore+Moves.swift).
                    var conditions: [BSON] = [.document(["allocations": .document(["$elemMatch": .document(Self.unchanged(expected))])])]
                    if changed.blocks(at: now) { conditions.append(.document(["allocations": Self.noOverlap(changed.blocked, at: now, except: expected.id)])) }
                    filter["$and"] = .array(conditions)
                    var options = Self.writeOptions
                    options["arrayFilters"] = .array([.document(["x.id": .document(["$eq": .string(expected.id)])])])
                    let update: Document = ["$set": .document(["allocations.$[x]": .document(Self.entry(of: changed))])]
                    if try c.findOneAndUpdate(filter, update: update, projection: ["_id": .int32(0), "id": .int32(1)], options: options) != nil {
                        return .done(.changed(changed))
                    }
                    guard let current = try lookup(kind, resourceID, expected.id) else { return .done(.resourceNotFound) }
                    guard let stored = current.allocation else { return .done(.allocationNotFound) }
                    if stored.updatedAt != expected.updatedAt { return .done(.stale(stored)) }
                    if try inMove(kind, resourceID, expected.id) {  // a move takes milliseconds: wait it out
                        usleep(UInt32(2_000 * (attempt + 1)))
                        continue
                    }
                    if current.turnaroundMinutes != turnaround { turnaround = current.turnaroundMinutes; continue }
                    guard let document = try c.findOne(Self.byID(resourceID), projection: ["_id": .int32(0)], options: findOptions, primary: true),
                        let resource = Self.entriesOnly(document.json, kind: kind, now: now)
                    else { return .done(.resourceNotFound) }
                    let conflicts = resource.conflicts(with: changed.blocked, at: now, except: expected.id)
                    if !conflicts.isEmpty { return .done(.conflict(conflicts)) }
                }
                return .contended
            }
            guard case .done(.changed) = outcome else {
                try details(kind, resourceID, new.id) { (c, filter) throws(MongoError) in
                    _ = try c.updateOne(filter, update: ["$unset": .document(["pending.\(version)": .string("")])], options: Self.writeOptions)
                }
                return outcome
            }
            // (3) The pending version becomes the document's own, unless a newer one already is.
            // Failing here changes nothing a reader sees, so the change stands.
            try? details(kind, resourceID, new.id) { (c, filter) throws(MongoError) in
                var older = filter
                older["$or"] = .array([.document(["updated_at": .document(["$lt": .int64(version)])]), .document(["updated_at": .document(["$exists": .bool(false)])])])
                var set = Self.detailDocument(new)
                set["updated_at"] = .int64(version)
                var unset: Document = ["pending.\(version)": .string("")]
                for field in Self.detailFields where set[field] == nil { unset[field] = .string("") }
                _ = try c.updateOne(older, update: ["$set": .document(set), "$unset": .document(unset)], options: Self.writeOptions)
            }
            return outcome
        }
        return try attempt.outcome(maxDocumentBytes: maxDocumentBytes, what: "the allocation")
    }

    /// The detail fields of an allocation, as a document (absent fields left out).
    private static func detailDocument(_ a: Allocation) -> Document {
        let stored = a.stored
        var d = Document()
        for field in detailFields { if let value = stored[field] { d[field] = BSON(json: value) } }
        return d
    }

    private func details(_ kind: ResourceKind, _ resourceID: String, _ id: String, _ body: (MongoCollection, Document) throws(MongoError) -> Void) throws(MongoError) {
        try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in try body(c, Self.detailsFilter(kind, resourceID, id: id)) }
    }

    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? {
        try call(advice: Self.repeatable) { () throws(MongoError) -> Bool? in
            let removed = try pool.collection(kind.collection) { (c) throws(MongoError) -> Bool? in
                // Not while it is being moved (MongoStore+Moves.swift): the move decides where it ends up.
                let settled: Document = [
                    "id": .document(["$eq": .string(allocationID)]), "moving": .document(["$exists": .bool(false)]), "moved_from": .document(["$exists": .bool(false)]),
                ]
                var filter = Self.byID(resourceID)
                filter["allocations"] = .document(["$elemMatch": .document(settled)])
                let update: Document = ["$pull": .document(["allocations": .document(settled)])]
                if try c.updateOne(filter, update: update, options: Self.writeOptions).matched > 0 { return true }
                if try inMove(kind, resourceID, allocationID) { throw .transient(code: 112, message: "a move of allocation \(allocationID) is in progress; try again") }
                return try c.findOne(Self.byID(resourceID), projection: ["_id": .int32(0), "id": .int32(1)], options: findOptions, primary: true) == nil ? nil : false
            }
            if removed == true { try removeDetails(kind, resourceID, id: allocationID) }
            return removed
        }
    }

    /// Whether the entry carries a move's mark or arrival.
    func inMove(_ kind: ResourceKind, _ resourceID: String, _ id: String) throws(MongoError) -> Bool {
        let moving: Document = [
            "id": .document(["$eq": .string(id)]),
            "$or": .array([.document(["moving": .document(["$exists": .bool(true)])]), .document(["moved_from": .document(["$exists": .bool(true)])])]),
        ]
        var filter = Self.byID(resourceID)
        filter["allocations"] = .document(["$elemMatch": .document(moving)])
        return try pool.collection(kind.collection) { (c) throws(MongoError) in
            try c.findOne(filter, projection: ["_id": .int32(0), "id": .int32(1)], options: findOptions, primary: true) != nil
        }
    }

    /// Deletes one allocation's details (its entry is not, or no longer, in the resource).
    func removeDetails(_ kind: ResourceKind, _ resourceID: String, id: String) throws(MongoError) {
        try details(kind, resourceID, id) { (c, filter) throws(MongoError) in _ = try c.deleteOne(filter, options: Self.writeOptions) }
    }

    /// The allocations whole: details (type, description, data) for every entry that has none
    /// inline, in one query over all the given resources.
    func withDetails(_ kind: ResourceKind, _ lists: [(resourceID: String, allocations: [Allocation])]) throws(MongoError) -> [[Allocation]] {
        let missing = lists.flatMap { list in list.allocations.filter { $0.allocationType.isEmpty }.map { (list.resourceID, $0.id) } }
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
        return lists.map { list in
            list.allocations.map { a in
                guard a.allocationType.isEmpty, let d = details[list.resourceID]?[a.id] else { return a }
                var entry = Self.entry(of: a).json
                entry["end"] = nil
                entry["to"] = .int(a.interval.to)
                var whole = Self.merge(entry, details: d) ?? a
                whole.blockedUntil = a.blockedUntil
                return whole
            }
        }
    }
}
