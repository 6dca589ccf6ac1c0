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
}

/// Everything the routes use.
typealias Store = BookStore & InventoryStore
