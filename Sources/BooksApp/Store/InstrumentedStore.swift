import HTTPServer
import JSON

/// The routes' one door to the store: wraps any `Store`, times every call into the store metrics,
/// and turns a `StoreError` into the HTTP `Problem` in this one place. The routes never see a
/// `StoreError`, and no route wraps its own calls.
struct InstrumentedStore: Sendable {
    let base: any Store
    let metrics: StoreMetrics

    init(_ base: any Store, metrics: StoreMetrics) {
        self.base = base
        self.metrics = metrics
    }

    var readsAreNonBlocking: Bool { base.readsAreNonBlocking }

    // MARK: books

    func listBooks(_ query: BookQuery) throws(Problem) -> BookPage { try call(.listBooks) { () throws(StoreError) in try base.listBooks(query) } }
    func book(id: String) throws(Problem) -> [UInt8]? { try call(.getBook) { () throws(StoreError) in try base.book(id: id) } }
    func insertBook(_ book: JSONObject) throws(Problem) { try call(.insertBook, duplicate: "a book") { () throws(StoreError) in try base.insertBook(book) } }
    func insertBooks(_ books: [JSONObject]) throws(Problem) -> BatchInsertOutcome {
        try call(.insertBook, duplicate: "a book") { () throws(StoreError) in try base.insertBooks(books) }
    }
    func updateBook(id: String, patch: BookPatch, precondition: (([UInt8]) -> Bool)?) throws(Problem) -> UpdateOutcome {
        try call(.updateBook) { () throws(StoreError) in try base.updateBook(id: id, patch: patch, precondition: precondition) }
    }
    func deleteBook(id: String) throws(Problem) -> Bool { try call(.deleteBook) { () throws(StoreError) in try base.deleteBook(id: id) } }
    func checkReady() throws(Problem) { try call(.checkReady) { () throws(StoreError) in try base.checkReady() } }

    // MARK: inventory

    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(Problem) -> (total: Int, items: [Resource]) {
        try call(.listResources) { () throws(StoreError) in try base.listResources(kind, query) }
    }
    func resource(_ kind: ResourceKind, id: String) throws(Problem) -> Resource? { try call(.getResource) { () throws(StoreError) in try base.resource(kind, id: id) } }
    func createResource(_ resource: Resource) throws(Problem) {
        try call(.createResource, duplicate: "a \(resource.kind.type)") { () throws(StoreError) in try base.createResource(resource) }
    }
    func updateResource(_ kind: ResourceKind, id: String, name: String?, turnaroundMinutes: Int?) throws(Problem) -> Resource? {
        try call(.renameResource) { () throws(StoreError) in try base.updateResource(kind, id: id, name: name, turnaroundMinutes: turnaroundMinutes) }
    }
    func deleteResource(_ kind: ResourceKind, id: String) throws(Problem) -> Bool { try call(.deleteResource) { () throws(StoreError) in try base.deleteResource(kind, id: id) } }
    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation, at now: Int64) throws(Problem) -> AllocationOutcome {
        try call(.allocate, duplicate: "an allocation") { () throws(StoreError) in try base.allocate(kind, resourceID: resourceID, allocation, at: now) }
    }
    func allocateAll(_ kind: ResourceKind, resourceID: String, _ allocations: [Allocation], at now: Int64) throws(Problem) -> AllocationOutcome {
        try call(.allocate, duplicate: "an allocation") { () throws(StoreError) in try base.allocateAll(kind, resourceID: resourceID, allocations, at: now) }
    }
    func allocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(Problem) -> AllocationLookup? {
        try call(.getAllocation) { () throws(StoreError) in try base.allocation(kind, resourceID: resourceID, allocationID: allocationID) }
    }
    func changeAllocation(_ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, at now: Int64) throws(Problem) -> AllocationChangeOutcome {
        try call(.changeAllocation) { () throws(StoreError) in try base.changeAllocation(kind, resourceID: resourceID, expected: expected, to: new, at: now) }
    }
    func autoAssign(_ kind: ResourceKind, _ allocation: Allocation, at now: Int64) throws(Problem) -> AutoAssignOutcome {
        try call(.allocate, duplicate: "an allocation") { () throws(StoreError) in try base.autoAssign(kind, allocation, at: now) }
    }
    func moveAllocation(
        _ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, target: (kind: ResourceKind, id: String), at now: Int64
    ) throws(Problem) -> AllocationChangeOutcome {
        try call(.changeAllocation) { () throws(StoreError) in try base.moveAllocation(kind, resourceID: resourceID, expected: expected, to: new, target: target, at: now) }
    }
    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(Problem) -> Bool? {
        try call(.deleteAllocation) { () throws(StoreError) in try base.deleteAllocation(kind, resourceID: resourceID, allocationID: allocationID) }
    }
    func allocations(_ kind: ResourceKind, resourceID: String, overlapping window: Interval?) throws(Problem) -> [Allocation]? {
        try call(.getResource) { () throws(StoreError) in try base.allocations(kind, resourceID: resourceID, overlapping: window) }
    }
    func allocations(of kind: ResourceKind, overlapping window: Interval) throws(Problem) -> [(resource: Resource, allocations: [Allocation])] {
        try call(.listResources) { () throws(StoreError) in try base.allocations(of: kind, overlapping: window) }
    }
    func freeBusy(_ kinds: [ResourceKind], window: Interval, skip: Int, limit: Int, after: FleetCursor?, at now: Int64) throws(Problem) -> FreeBusyPage {
        try call(.freeBusy) { () throws(StoreError) in try base.freeBusy(kinds, window: window, skip: skip, limit: limit, after: after, at: now) }
    }

    /// Times `body` and maps its failure. `duplicate` names what a duplicate id would be of.
    private func call<T>(
        _ operation: StoreMetrics.Operation, duplicate: String = "a document",
        _ body: () throws(StoreError) -> T
    ) throws(Problem) -> T {
        let start = monotonicNanos()
        do throws(StoreError) {
            let result = try body()
            metrics.observe(operation, nanos: monotonicNanos() &- start, error: nil)
            return result
        } catch {
            metrics.observe(operation, nanos: monotonicNanos() &- start, error: error)
            throw Problem.from(error, duplicateOf: duplicate)
        }
    }
}
