/// What the inventory routes need from a store. Both stores implement it, next to `BookStore`.
/// `allocate` must check for overlap and insert in one atomic step inside the store.
protocol InventoryStore: AnyObject, Sendable {
    var readsAreNonBlocking: Bool { get }
    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource])
    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource?
    func createResource(_ resource: Resource) throws(StoreError)
    /// nil: no such resource.
    func renameResource(_ kind: ResourceKind, id: String, name: String) throws(StoreError) -> Resource?
    /// Decommissions the resource with its allocations.
    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool
    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation) throws(StoreError) -> AllocationOutcome
    /// nil: no such resource; false: no such allocation.
    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool?
    /// A resource's allocations overlapping `window` (all of them without one), in start order;
    /// nil: no such resource.
    func allocations(_ kind: ResourceKind, resourceID: String, overlapping window: Interval?) throws(StoreError) -> [Allocation]?
    /// One page of the fleet's free/busy: the resources of `kinds` in that order, each kind's by
    /// name then id, each with its allocations overlapping `window` (in start order).
    func freeBusy(_ kinds: [ResourceKind], window: Interval, skip: Int, limit: Int) throws(StoreError) -> FreeBusyPage
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
        return window.map { resource.conflicts(with: $0) } ?? resource.allocations
    }

    /// Walks the kinds in order, skipping whole kinds by their counts, and fills the page from a
    /// name-sorted page of each. `busy` gives a listed resource's allocations in the window.
    func freeBusyPages(
        _ kinds: [ResourceKind], skip: Int, limit: Int, page: (ResourceKind, ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]),
        busy: (ResourceKind, [Resource]) throws(StoreError) -> [[Allocation]]
    ) throws(StoreError) -> FreeBusyPage {
        var result = FreeBusyPage()
        var toSkip = skip, room = limit
        for kind in kinds {
            var query = ResourceQuery(skip: toSkip, limit: room)
            if room > 0 { query.sort = [(.name, true)] }  // a full page only counts the rest
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
