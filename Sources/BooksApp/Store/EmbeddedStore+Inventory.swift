import Glibc
import HTTPServer
import JSON

/// The inventory on the embedded store. Writers are serialised, and each decides against the
/// durable state plus pending changes, so the overlap check and the insert of an allocation are one
/// atomic step, journaled as one group: a booking is its own small record (`putAllocation`), not
/// a rewrite of the resource. A pending booking blocks others at once, but is shown only once durable.
extension EmbeddedStore: InventoryStore {
    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]) {
        let now = Timestamp.now()
        return reading { $0.inventory[kind]!.page(query, at: now) }
    }

    func freeBusy(_ kinds: [ResourceKind], window: Interval, skip: Int, limit: Int, after: FleetCursor?, at now: Int64) throws(StoreError) -> FreeBusyPage {
        try freeBusyPages(
            kinds, skip: skip, limit: limit, after: after,
            page: { (kind, query) throws(StoreError) in try listResources(kind, query) },
            busy: { (_, resources) throws(StoreError) in resources.map { $0.all(overlapping: window) } })
    }

    func allocations(of kind: ResourceKind, overlapping window: Interval) throws(StoreError) -> [(resource: Resource, allocations: [Allocation])] {
        let page = try listResources(kind, ResourceQuery(skip: 0, limit: .max, sort: [(.name, true)]))
        return page.items.map { ($0, $0.all(overlapping: window)) }.filter { !$0.1.isEmpty }
    }

    /// One scan of the live allocations (a few milliseconds at a million), then one write.
    func fileExpiredHolds(at now: Int64) throws(StoreError) -> Int {
        let expired = reading { state in
            ResourceKind.all.flatMap { kind in
                state.inventory[kind]!.all.flatMap { r in r.allocations.filter { $0.status == .tentative && !$0.blocks(at: now) }.map { (kind, r.id, $0) } }
            }
        }
        guard !expired.isEmpty else { return 0 }
        var filed = 0
        try write { view throws(StoreError) in
            var changes: [StoreChange] = []
            filed = 0
            for (kind, id, hold) in expired {
                guard let current = try view.resource(kind, id: id)?.allocation(hold.id), current == hold else { continue }  // changed meanwhile
                var cancelled = hold.effective(at: now)
                cancelled.updatedAt = max(now, (hold.updatedAt ?? 0) + 1)
                changes.append(.putAllocation(kind, resource: id, cancelled, replacing: true))
                filed += 1
            }
            return changes
        }
        return filed
    }

    /// Files expired holds every 30 s on a thread of its own.
    func startHoldSweep(log: AppLog) {
        let thread = startThread(name: "hold-sweep") { [self] in
            while true {
                usleep(30_000_000)
                do throws(StoreError) {
                    let n = try fileExpiredHolds(at: Timestamp.now())
                    if n > 0 { log.info("filed \(n) expired hold(s) as cancelled") }
                } catch {
                    log.warn("filing expired holds failed (retrying in 30 s): \(error)")
                }
            }
        }
        pthread_detach(thread)
    }

    func resourcesForAssignment(_ kind: ResourceKind, window: Interval, freeDuring free: Interval?, at now: Int64) throws(StoreError) -> [Resource] {
        reading { state in state.inventory[kind]!.all.filter { r in free.map { r.isFree(during: $0, at: now) } ?? true } }
    }

    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource? {
        reading { $0.inventory[kind]!.byID[id] }
    }

    func createResource(_ resource: Resource) throws(StoreError) {
        try write { view throws(StoreError) in
            if try view.resourceExists(resource.kind, id: resource.id) { throw .duplicateID(resource.id) }
            return [.putResource(resource)]
        }
    }

    func updateResource(_ kind: ResourceKind, id: String, name: String?, turnaroundMinutes: Int?) throws(StoreError) -> Resource? {
        var updated: Resource?
        try write { view throws(StoreError) in
            guard var resource = try view.resource(kind, id: id) else { return [] }
            if let name { resource.name = name }
            if let turnaroundMinutes { resource.turnaroundMinutes = turnaroundMinutes }
            updated = resource
            return [.putResource(resource)]
        }
        return updated
    }

    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool {
        var found = false
        try write { view throws(StoreError) in
            guard try view.resourceExists(kind, id: id) else { return [] }
            found = true
            return [.deleteResource(kind, id: id)]
        }
        return found
    }

    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation, at now: Int64) throws(StoreError) -> AllocationOutcome {
        var outcome = AllocationOutcome.resourceNotFound
        try write { view throws(StoreError) in
            guard let resource = try view.resource(kind, id: resourceID, deciding: allocation.interval) else { return [] }
            var booked = allocation
            booked.blockedUntil = resource.blocked(allocation.interval).to
            return Self.place(booked, on: resource, at: now, outcome: &outcome)
        }
        return outcome
    }

    /// One write, so one group commit: each is checked against the durable allocations and the
    /// batch's own earlier ones (the route has refused a batch that overlaps itself).
    func allocateAll(_ kind: ResourceKind, resourceID: String, _ allocations: [Allocation], at now: Int64) throws(StoreError) -> AllocationOutcome {
        var outcome = AllocationOutcome.resourceNotFound
        try write { view throws(StoreError) in
            guard var resource = try view.resource(kind, id: resourceID, deciding: Self.span(allocations)) else { return [] }
            var changes: [StoreChange] = [], conflicts: [Allocation] = []
            for allocation in allocations {
                var booked = allocation
                booked.blockedUntil = resource.blocked(allocation.interval).to
                var placed = AllocationOutcome.created
                let these = Self.place(booked, on: resource, at: now, outcome: &placed)
                if case .conflict(let c) = placed { conflicts += c.filter { found in !conflicts.contains { $0.id == found.id } } }
                for case .putAllocation(_, _, let a, let replacing) in these { resource.put(a, replacing: replacing) }
                changes += these
            }
            guard conflicts.isEmpty else { outcome = .conflict(conflicts.sorted { $0.interval.from < $1.interval.from }); return [] }
            outcome = .created
            return changes
        }
        return outcome
    }

    /// The smallest interval covering all of them, for the pending-change check.
    static func span(_ allocations: [Allocation]) -> Interval {
        Interval(from: allocations.map(\.interval.from).min() ?? 0, to: allocations.map(\.interval.to).max() ?? 0)
    }

    func changeAllocation(_ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, at now: Int64) throws(StoreError) -> AllocationChangeOutcome {
        var outcome = AllocationChangeOutcome.resourceNotFound
        try write { view throws(StoreError) in
            guard let resource = try view.resource(kind, id: resourceID, deciding: new.interval, except: expected.id) else { return [] }
            guard let current = resource.allocation(expected.id) else { outcome = .allocationNotFound; return [] }
            guard current == expected else { outcome = .stale(current); return [] }
            var changed = new
            changed.blockedUntil = resource.blocked(new.interval).to
            var placed = AllocationOutcome.created
            let changes = Self.place(changed, on: resource, at: now, except: expected.id, outcome: &placed)
            if case .conflict(let conflicts) = placed { outcome = .conflict(conflicts) } else { outcome = .changed(changed) }
            return changes
        }
        return outcome
    }

    /// One write: the removal from the source and the booking on the target are one group commit.
    func moveAllocation(
        _ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, target: (kind: ResourceKind, id: String), at now: Int64
    ) throws(StoreError) -> AllocationChangeOutcome {
        var outcome = AllocationChangeOutcome.resourceNotFound
        try write { view throws(StoreError) in
            guard let source = try view.resource(kind, id: resourceID, deciding: expected.interval, except: expected.id) else { return [] }
            guard let current = source.allocation(expected.id) else { outcome = .allocationNotFound; return [] }
            guard current == expected else { outcome = .stale(current); return [] }
            guard let destination = try view.resource(target.kind, id: target.id, deciding: new.interval) else { outcome = .targetNotFound; return [] }
            var moved = new
            moved.blockedUntil = destination.blocked(new.interval).to
            var placed = AllocationOutcome.created
            let changes = Self.place(moved, on: destination, at: now, outcome: &placed)
            if case .conflict(let conflicts) = placed { outcome = .conflict(conflicts); return [] }
            outcome = .changed(moved)
            return [.removeAllocation(kind, resource: resourceID, allocation: expected.id)] + changes
        }
        return outcome
    }

    /// The changes that put `allocation` on `resource` (after filing expired holds in its way as
    /// cancelled), or none and the conflicts.
    private static func place(_ allocation: Allocation, on resource: Resource, at now: Int64, except: String? = nil, outcome: inout AllocationOutcome) -> [StoreChange] {
        guard allocation.blocks(at: now) else {
            outcome = .created
            return [.putAllocation(resource.kind, resource: resource.id, allocation, replacing: except != nil)]
        }
        let conflicts = resource.conflicts(with: allocation.blocked, at: now, except: except)
        guard conflicts.isEmpty else { outcome = .conflict(conflicts); return [] }
        outcome = .created
        let expired = resource.expiredHolds(overlapping: allocation.blocked, at: now).filter { $0.id != except }.map { hold -> StoreChange in
            var filed = hold.effective(at: now)
            filed.updatedAt = now
            return .putAllocation(resource.kind, resource: resource.id, filed, replacing: true)
        }
        return expired + [.putAllocation(resource.kind, resource: resource.id, allocation, replacing: except != nil)]
    }

    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? {
        var result: Bool?
        try write { view throws(StoreError) in
            guard let exists = try view.allocationExists(kind, resource: resourceID, allocation: allocationID) else { return [] }
            result = exists
            return exists ? [.removeAllocation(kind, resource: resourceID, allocation: allocationID)] : []
        }
        return result
    }
}
