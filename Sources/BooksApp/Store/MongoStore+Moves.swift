import Glibc
import HTTPServer
import JSON
import MongoBridge

/// Moving an allocation to another resource on MongoDB: two documents, so no single update can
/// do it. The protocol never double-books (every step keeps the allocation blocking wherever it
/// is) and never loses it (it is on the source until it is on the target):
///
/// 1. **Mark** the source entry `moving: {kind, resource_id, version}` (compare-and-swap on its
///    updated_at; a marked entry refuses other changes and deletes until the move ends).
/// 2. **Details** for the target, under the target's key (an orphan if we stop here).
/// 3. **Push** the entry onto the target, with `moved_from: {kind, resource_id, version}`, by
///    the booking's own conditional update. Refused: unmark the source, drop those details; 409.
/// 4. **Pull** it from the source, only while the mark is still ours. If the mark is gone (a
///    recovery rolled the move back), pull it from the target again and answer 503.
/// 5. **Finish:** the source's details go, and the target entry's `moved_from`.
///
/// Killed between steps, `finishInterruptedMoves` (every 30 s, in every API process)
/// completes a move whose entry reached the target and rolls back one that did not, once its
/// mark is older than `moveLease`; an entry still `moved_from` a source that holds it unmarked
/// was rolled back, and leaves the target. Until then the allocation may read on both resources.
extension MongoStore {
    /// How old a mark must be before recovery may decide its move was abandoned.
    static let moveLease: Int64 = 30_000

    func moveAllocation(
        _ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, target: (kind: ResourceKind, id: String), at now: Int64
    ) throws(StoreError) -> AllocationChangeOutcome {
        let version = new.updatedAt ?? now
        let mark: Document = ["kind": .string(target.kind.type), "resource_id": .string(target.id), "version": .int64(version)]
        let origin: Document = ["kind": .string(kind.type), "resource_id": .string(resourceID), "version": .int64(version)]
        let path = "/\(target.kind.collection)/\(target.id)/allocations/\(new.id)"
        return try call(advice: "GET \(path) shows whether the move took place; send it again only if that answers 404") { () throws(MongoError) -> AllocationChangeOutcome in
            // (1) Mark, waiting out another move of it (milliseconds) a few times.
            var marked = false
            for attempt in 0..<8 {
                marked = try markMoving(kind, resourceID, expected, mark)
                if marked { break }
                guard let current = try lookup(kind, resourceID, expected.id) else { return .resourceNotFound }
                guard let stored = current.allocation else { return .allocationNotFound }
                if stored.updatedAt != expected.updatedAt { return .stale(stored) }
                usleep(UInt32(2_000 * (attempt + 1)))
            }
            if !marked { throw .transient(code: 112, message: "a move of allocation \(expected.id) is in progress; try again") }
            // (2) Details under the target, (3) the entry onto it.
            try writeDetails(target.kind, target.id, new)
            let pushed = try pushMoved(new, origin: origin, onto: target, at: now)
            guard case .changed(let moved) = pushed else {
                try unmark(kind, resourceID, expected.id, version: version)
                try removeDetails(target.kind, target.id, id: new.id)
                return pushed
            }
            // (4) Pull from the source while the mark is ours.
            let ours: Document = ["id": .document(["$eq": .string(expected.id)]), "moving.version": .document(["$eq": .int64(version)])]
            let pulled = try pool.collection(kind.collection) { (c) throws(MongoError) -> Bool in
                var filter = Self.byID(resourceID)
                filter["allocations"] = .document(["$elemMatch": .document(ours)])
                return try c.updateOne(filter, update: ["$pull": .document(["allocations": .document(ours)])], options: Self.writeOptions).matched > 0
            }
            if !pulled {
                try pullFromTarget(target, new.id, version: version)
                throw .transient(code: 112, message: "the move of allocation \(expected.id) was rolled back by recovery; try again")
            }
            // (5) Finish.
            try removeDetails(kind, resourceID, id: expected.id)
            try finishArrival(target, new.id, version: version)
            return .changed(moved)
        }
    }

    /// Step 1: marks the entry, if it is still `expected` and in no other move.
    private func markMoving(_ kind: ResourceKind, _ resourceID: String, _ expected: Allocation, _ mark: Document) throws(MongoError) -> Bool {
        try pool.collection(kind.collection) { (c) throws(MongoError) -> Bool in
            var filter = Self.byID(resourceID)
            filter["allocations"] = .document(["$elemMatch": .document(Self.unchanged(expected))])
            var options = Self.writeOptions
            options["arrayFilters"] = .array([.document(["x.id": .document(["$eq": .string(expected.id)])])])
            let update: Document = ["$set": .document(["allocations.$[x].moving": .document(mark)])]
            return try c.findOneAndUpdate(filter, update: update, projection: ["_id": .int32(0), "id": .int32(1)], options: options) != nil
        }
    }

    /// The entry of `expected` as the caller read it, and not in a move.
    static func unchanged(_ expected: Allocation) -> Document {
        var same: Document = ["id": .document(["$eq": .string(expected.id)])]
        same["updated_at"] = expected.updatedAt.map { .document(["$in": .array([.null, .int64($0)])]) } ?? .document(["$exists": .bool(false)])
        same["moving"] = .document(["$exists": .bool(false)])
        same["moved_from"] = .document(["$exists": .bool(false)])
        return same
    }

    private func writeDetails(_ kind: ResourceKind, _ resourceID: String, _ a: Allocation) throws(MongoError) {
        var details = Document(json: a.stored)
        details["kind"] = .string(kind.type)
        details["resource_id"] = .string(resourceID)
        try pool.collection(Self.detailsCollection) { (c) throws(MongoError) in
            _ = try c.updateOne(Self.detailsFilter(kind, resourceID, id: a.id), update: ["$set": .document(details)], upsert: true, options: Self.writeOptions)
        }
    }

    /// Step 3: the booking's conditional push, with the target's turnaround, never twice.
    private func pushMoved(_ a: Allocation, origin: Document, onto target: (kind: ResourceKind, id: String), at now: Int64) throws(MongoError) -> AllocationChangeOutcome {
        try pool.collection(target.kind.collection) { (c) throws(MongoError) -> AllocationChangeOutcome in
            var turnaround = 0
            for _ in 0..<8 {
                var moved = a
                moved.blockedUntil = Allocation.blockedEnd(a.interval.to, turnaroundMinutes: turnaround)
                var filter = Self.byID(target.id)
                filter["turnaround_minutes"] = Self.turnaround(is: turnaround)
                var conditions: [BSON] = [.document(["allocations.id": .document(["$ne": .string(a.id)])])]
                if moved.blocks(at: now) { conditions.append(.document(["allocations": Self.noOverlap(moved.blocked, at: now)])) }
                filter["$and"] = .array(conditions)
                var entry = Self.entry(of: moved)
                entry["moved_from"] = .document(origin)
                if try c.findOneAndUpdate(
                    filter, update: ["$push": .document(["allocations": .document(entry)])], projection: ["_id": .int32(0), "id": .int32(1)], options: Self.writeOptions) != nil
                {
                    return .changed(moved)
                }
                guard let document = try c.findOne(Self.byID(target.id), projection: ["_id": .int32(0)], options: findOptions, primary: true),
                    let resource = Self.entriesOnly(document.json, kind: target.kind, now: now)
                else { return .targetNotFound }
                if resource.turnaroundMinutes != turnaround { turnaround = resource.turnaroundMinutes; continue }
                let conflicts = resource.conflicts(with: resource.blocked(a.interval), at: now)
                if !conflicts.isEmpty { return .conflict(conflicts) }
            }
            throw .transient(code: 112, message: "the target kept changing under concurrent writes; try again")
        }
    }

    private func unmark(_ kind: ResourceKind, _ resourceID: String, _ id: String, version: Int64) throws(MongoError) {
        try pool.collection(kind.collection) { (c) throws(MongoError) in
            var options = Self.writeOptions
            options["arrayFilters"] = .array([.document(["x.id": .document(["$eq": .string(id)]), "x.moving.version": .document(["$eq": .int64(version)])])])
            _ = try c.updateOne(Self.byID(resourceID), update: ["$unset": .document(["allocations.$[x].moving": .string("")])], options: options)
        }
    }

    private func pullFromTarget(_ target: (kind: ResourceKind, id: String), _ id: String, version: Int64) throws(MongoError) {
        try pool.collection(target.kind.collection) { (c) throws(MongoError) in
            let which: Document = ["id": .document(["$eq": .string(id)]), "moved_from.version": .document(["$eq": .int64(version)])]
            _ = try c.updateOne(Self.byID(target.id), update: ["$pull": .document(["allocations": .document(which)])], options: Self.writeOptions)
        }
        try removeDetails(target.kind, target.id, id: id)
    }

    private func finishArrival(_ target: (kind: ResourceKind, id: String), _ id: String, version: Int64) throws(MongoError) {
        try pool.collection(target.kind.collection) { (c) throws(MongoError) in
            var options = Self.writeOptions
            options["arrayFilters"] = .array([.document(["x.id": .document(["$eq": .string(id)]), "x.moved_from.version": .document(["$eq": .int64(version)])])])
            _ = try c.updateOne(Self.byID(target.id), update: ["$unset": .document(["allocations.$[x].moved_from": .string("")])], options: options)
        }
    }

    /// Recovery: completes or rolls back every move whose mark is older than the lease.
    @discardableResult
    func finishInterruptedMoves(now: Int64) throws(MongoError) -> Int {
        var settled = 0
        for kind in ResourceKind.all {
            var found: [(resource: String, entry: JSONObject)] = []
            try pool.collection(kind.collection) { (c) throws(MongoError) in
                let filter: Document = [
                    "$or": .array([
                        .document(["allocations.moving": .document(["$exists": .bool(true)])]), .document(["allocations.moved_from": .document(["$exists": .bool(true)])]),
                    ])
                ]
                try c.find(filter, projection: ["_id": .int32(0), "id": .int32(1), "allocations": .int32(1)], options: findOptions) { (doc) throws(MongoError) -> Bool in
                    let o = doc.json
                    guard case .string(let id)? = o["id"], case .array(let entries)? = o["allocations"] else { return true }
                    for case .object(let e) in entries where e["moving"] != nil || e["moved_from"] != nil { found.append((id, e)) }
                    return true
                }
            }
            for (resourceID, entry) in found {
                guard case .string(let id)? = entry["id"] else { continue }
                if case .object(let mark)? = entry["moving"], let other = Self.place(mark), case .int(let version)? = mark["version"], now - version >= Self.moveLease {
                    if try hasEntry(other, id, key: "moved_from.version", version: version) {
                        try rollForward(source: (kind, resourceID), target: other, id: id, version: version)
                    } else {
                        try unmark(kind, resourceID, id, version: version)
                    }
                    settled += 1
                } else if case .object(let from)? = entry["moved_from"], let source = Self.place(from), case .int(let version)? = from["version"] {
                    if try hasEntry(source, id, key: "moving.version", version: version) {
                        guard now - version >= Self.moveLease else { continue }
                        try rollForward(source: source, target: (kind, resourceID), id: id, version: version)
                    } else if try hasEntry(source, id, key: nil, version: version) {
                        try pullFromTarget((kind, resourceID), id, version: version)  // rolled back: the source kept it
                    } else {
                        try finishArrival((kind, resourceID), id, version: version)
                    }
                    settled += 1
                }
            }
        }
        return settled
    }

    private func rollForward(source: (kind: ResourceKind, id: String), target: (kind: ResourceKind, id: String), id: String, version: Int64) throws(MongoError) {
        try pool.collection(source.kind.collection) { (c) throws(MongoError) in
            let which: Document = ["id": .document(["$eq": .string(id)]), "moving.version": .document(["$eq": .int64(version)])]
            _ = try c.updateOne(Self.byID(source.id), update: ["$pull": .document(["allocations": .document(which)])], options: Self.writeOptions)
        }
        try removeDetails(source.kind, source.id, id: id)
        try finishArrival(target, id, version: version)
    }

    /// Whether `resource` has entry `id` (with `key` equal to `version`, when given).
    private func hasEntry(_ resource: (kind: ResourceKind, id: String), _ id: String, key: String?, version: Int64) throws(MongoError) -> Bool {
        var match: Document = ["id": .document(["$eq": .string(id)])]
        if let key { match[key] = .document(["$eq": .int64(version)]) }
        var filter = Self.byID(resource.id)
        filter["allocations"] = .document(["$elemMatch": .document(match)])
        return try pool.collection(resource.kind.collection) { (c) throws(MongoError) in
            try c.findOne(filter, projection: ["_id": .int32(0), "id": .int32(1)], options: findOptions, primary: true) != nil
        }
    }

    private static func place(_ o: JSONObject) -> (kind: ResourceKind, id: String)? {
        guard case .string(let type)? = o["kind"], let kind = ResourceKind.all.first(where: { $0.type == type }), case .string(let id)? = o["resource_id"] else { return nil }
        return (kind, id)
    }

    /// Files expired holds as cancelled: one arrayFilters update per resource that has any. The
    /// entry keeps its expiry, which is how a reader knows the reason.
    func expiredHoldsFiled(at now: Int64) throws(MongoError) -> Int {
        var filed = 0
        for kind in ResourceKind.all {
            let expired: Document = ["status": .document(["$eq": .string(AllocationStatus.tentative.rawValue)]), "expires_at": .document(["$lte": .int64(now)])]
            var ids: [String] = []
            try pool.collection(kind.collection) { (c) throws(MongoError) in
                try c.find(["allocations": .document(["$elemMatch": .document(expired)])], projection: ["_id": .int32(0), "id": .int32(1)], options: findOptions) {
                    (doc) throws(MongoError) -> Bool in
                    if case .string(let id)? = doc["id"] { ids.append(id) }
                    return true
                }
                var options = Self.writeOptions
                options["arrayFilters"] = .array([.document(["x.status": expired["status"]!, "x.expires_at": expired["expires_at"]!])])
                for id in ids {
                    filed += try c.updateOne(
                        Self.byID(id), update: ["$set": .document(["allocations.$[x].status": .string(AllocationStatus.cancelled.rawValue)])], options: options
                    ).modified
                }
            }
        }
        return filed
    }

    /// Runs recovery every 30 s on a thread of its own, the first time 30 s after start: no mark
    /// is settled before its lease has passed anyway, and start-up's requests get the pool.
    func startMoveRecovery(log: AppLog) {
        let thread = startThread(name: "mongo-moves") { [self] in
            var lastFailure = ""
            while true {
                usleep(30_000_000)
                do throws(MongoError) {
                    let n = try finishInterruptedMoves(now: Timestamp.now())
                    if n > 0 { log.warn("settled \(n) interrupted allocation move(s)") }
                    _ = try expiredHoldsFiled(at: Timestamp.now())
                    lastFailure = ""
                } catch {
                    let text = Redaction.mongoURL(error.message)
                    if text != lastFailure { log.warn("allocation move recovery failed (retrying every 30 s): \(text)") }
                    lastFailure = text
                }
            }
        }
        pthread_detach(thread)
    }
}
