import JSON

/// Changes journaled but not yet durable, in journal order, and the latest ticket per key they touch.
///
/// Durable before visible, for readers and writers alike: a GET, a list, an availability search
/// and a conflict check all see a change only once its fsync has returned. A write that depends on
/// a pending one (the same book, the same resource) therefore waits for that fsync and then decides
/// against the outcome, so it orders after it: if the first write is lost (its fsync failed), the
/// second decides as if it never happened. Independent writes still share one group commit.
struct PendingChanges {
    struct Key: Hashable {
        var collection: String
        var id: String
    }

    private(set) var queue: [(ticket: UInt64, change: StoreChange)] = []
    private var tickets: [Key: UInt64] = [:]

    var isEmpty: Bool { queue.isEmpty }

    mutating func append(_ change: StoreChange, ticket: UInt64) {
        queue.append((ticket, change))
        tickets[change.key] = ticket
    }

    func ticket(for key: Key) -> UInt64? { tickets[key] }

    /// Takes the changes whose tickets are durable, in order, and forgets them here.
    mutating func takeDurable(through ticket: UInt64) -> [StoreChange] {
        let count = queue.prefix { $0.ticket <= ticket }.count
        guard count > 0 else { return [] }
        let ready = queue[0..<count].map(\.change)
        queue.removeFirst(count)
        rebuild()
        return ready
    }

    /// Forgets changes whose write failed (tickets after `ticket`).
    mutating func dropAll(after ticket: UInt64) {
        queue.removeAll { $0.ticket > ticket }
        rebuild()
    }

    private mutating func rebuild() {
        tickets = [:]
        for entry in queue { tickets[entry.change.key] = entry.ticket }
    }
}

extension StoreChange {
    /// The document a change is about: a book, or a resource (its allocations included).
    var key: PendingChanges.Key {
        switch self {
        case .putBook(let book): return .init(collection: EmbeddedStore.collection, id: book.id)
        case .deleteBook(let id): return .init(collection: EmbeddedStore.collection, id: id)
        case .putResource(let resource): return .init(collection: resource.kind.collection, id: resource.id)
        case .deleteResource(let kind, let id): return .init(collection: kind.collection, id: id)
        case .addAllocation(let kind, let resource, _), .removeAllocation(let kind, let resource, _): return .init(collection: kind.collection, id: resource)
        }
    }
}

/// What a writer sees: the durable state. Touching a key with a pending change throws
/// `.pendingWrite`, and the store waits for that change and runs the writer again.
struct WriterView {
    let state: StoreState
    let pending: PendingChanges

    private func settled(_ collection: String, _ id: String) throws(StoreError) {
        if let ticket = pending.ticket(for: .init(collection: collection, id: id)) { throw .pendingWrite(ticket: ticket) }
    }

    func bookDocument(id: String) throws(StoreError) -> JSONObject? {
        try settled(EmbeddedStore.collection, id)
        return state.books.document(id: id)
    }

    func bookJSON(id: String) throws(StoreError) -> [UInt8]? {
        try settled(EmbeddedStore.collection, id)
        return state.books.json(id: id)
    }

    func bookExists(id: String) throws(StoreError) -> Bool {
        try settled(EmbeddedStore.collection, id)
        return state.books.row(id: id) != nil
    }

    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource? {
        try settled(kind.collection, id)
        return state.inventory[kind]!.byID[id]
    }

    func resourceExists(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool { try resource(kind, id: id) != nil }

    /// The allocations `interval` would overlap; nil: no such resource.
    func conflicts(_ kind: ResourceKind, id: String, with interval: Interval) throws(StoreError) -> [Allocation]? {
        try resource(kind, id: id)?.conflicts(with: interval)
    }

    func allocationExists(_ kind: ResourceKind, resource id: String, allocation: String) throws(StoreError) -> Bool? {
        try resource(kind, id: id).map { $0.allocations.contains { $0.id == allocation } }
    }
}
