/// What the inventory routes need from a store. Both stores implement it, next to `BookStore`.
/// `allocate` must check for overlap and insert in one atomic step inside the store.
protocol InventoryStore: AnyObject, Sendable {
    var readsAreNonBlocking: Bool { get }
    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource])
    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource?
    func createResource(_ resource: Resource) throws(StoreError)
    /// Sets the name and/or turnaround; nil: no such resource.
    func updateResource(_ kind: ResourceKind, id: String, name: String?, turnaroundMinutes: Int?) throws(StoreError) -> Resource?
    /// Decommissions the resource with its allocations.
    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool
    /// Books `allocation` if nothing blocking at `now` overlaps it plus the resource's turnaround
    /// (the store sets `blockedUntil`); holds expired by `now` in the way are filed as cancelled.
    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation, at now: Int64) throws(StoreError) -> AllocationOutcome
    /// Books every one of `allocations` or none (a repeating booking): one atomic step, as
    /// `allocate` is; `.conflict` lists every allocation in the way of any of them.
    func allocateAll(_ kind: ResourceKind, resourceID: String, _ allocations: [Allocation], at now: Int64) throws(StoreError) -> AllocationOutcome
    /// One allocation with the resource's turnaround; nil: no such resource.
    func allocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> AllocationLookup?
    /// Replaces `expected` with `new` if it is still stored as `expected` and nothing else blocking
    /// at `now` overlaps `new` (which the store gives the resource's turnaround).
    func changeAllocation(_ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, at now: Int64) throws(StoreError) -> AllocationChangeOutcome
    /// Moves `expected` from its resource to `target` as `new` (which the store gives the target's
    /// turnaround), if it is still stored as `expected` and nothing blocking there overlaps it:
    /// never on both resources for a reader once answered, never on neither.
    func moveAllocation(
        _ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, target: (kind: ResourceKind, id: String), at now: Int64
    ) throws(StoreError) -> AllocationChangeOutcome
    /// nil: no such resource; false: no such allocation.
    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool?
    /// A resource's allocations of every status whose shown interval overlaps `window` (all of
    /// them without one), in start order, as stored; nil: no such resource.
    func allocations(_ kind: ResourceKind, resourceID: String, overlapping window: Interval?) throws(StoreError) -> [Allocation]?
    /// One page of the fleet's free/busy: the resources of `kinds` in that order, each kind's by
    /// name then id, each with its allocations of any status that overlap `window`, in start order,
    /// as stored (the route shows them as they are at `now`, and picks the statuses).
    func freeBusy(_ kinds: [ResourceKind], window: Interval, skip: Int, limit: Int, after: FleetCursor?, at now: Int64) throws(StoreError) -> FreeBusyPage
    /// Every resource of `kind` with an allocation (of any status) whose shown interval overlaps
    /// `window`, by name then id, each with those allocations whole, in start order: a fleet's feed.
    func allocations(of kind: ResourceKind, overlapping window: Interval) throws(StoreError) -> [(resource: Resource, allocations: [Allocation])]
    /// Files every hold expired by `now` as cancelled ("cleaned up later": they already block
    /// nothing and read as cancelled); returns how many.
    func fileExpiredHolds(at now: Int64) throws(StoreError) -> Int
    /// For auto-assignment: the resources of `kind` (only those nothing blocks during `free` at
    /// `now`, when given), each with at least its allocations whose blocked interval overlaps `window`.
    func resourcesForAssignment(_ kind: ResourceKind, window: Interval, freeDuring free: Interval?, at now: Int64) throws(StoreError) -> [Resource]
}

/// An allocation as found for a change: the resource's turnaround, and the allocation if it exists.
struct AllocationLookup: Sendable, Equatable {
    var turnaroundMinutes: Int
    var allocation: Allocation?
}

/// A page of GET /availability: how many resources the kinds hold, and the page's rows.
struct FreeBusyPage: Sendable {
    var total = 0
    var rows: [(resource: Resource, busy: [Allocation])] = []
}

extension InventoryStore {
    /// From the whole resource: right where it is in memory (the embedded store).
    func allocations(_ kind: ResourceKind, resourceID: String, overlapping window: Interval?) throws(StoreError) -> [Allocation]? {
        guard let resource = try resource(kind, id: resourceID) else { return nil }
        return window.map { resource.all(overlapping: $0) } ?? resource.everyAllocation
    }

    func allocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> AllocationLookup? {
        try resource(kind, id: resourceID).map { AllocationLookup(turnaroundMinutes: $0.turnaroundMinutes, allocation: $0.allocation(allocationID)) }
    }

    /// Walks the kinds in order, skipping whole kinds by their counts, and fills the page from a
    /// name-sorted page of each. `busy` gives a listed resource's allocations in the window. With
    /// `after`, kinds before the cursor's only count, and its own kind starts after its position.
    func freeBusyPages(
        _ kinds: [ResourceKind], skip: Int, limit: Int, after: FleetCursor?, page: (ResourceKind, ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]),
        busy: (ResourceKind, [Resource]) throws(StoreError) -> [[Allocation]]
    ) throws(StoreError) -> FreeBusyPage {
        var result = FreeBusyPage()
        var toSkip = skip, room = limit
        let cursorIndex = after.flatMap { cursor in kinds.firstIndex(of: cursor.kind) } ?? -1
        for (index, kind) in kinds.enumerated() {
            var query = ResourceQuery(skip: toSkip, limit: index < cursorIndex ? 0 : room)
            if index == cursorIndex, let after { query.after = (after.name, after.id) }
            if query.limit > 0 { query.sort = [(.name, true)] }  // a full page only counts the rest
            let listed = try page(kind, query)
            result.total += listed.total
            toSkip = max(0, toSkip - listed.total)
            room -= listed.items.count
            for (resource, intervals) in zip(listed.items, try busy(kind, listed.items)) { result.rows.append((resource, intervals)) }
        }
        return result
    }
}

/// Everything the routes use.
typealias Store = BookStore & InventoryStore
