import JSON

/// Changes journaled but not yet durable, in journal order, with what writers must see of them.
/// Readers never see these (durable before visible): a GET, a list or an availability search shows
/// a change only once its fsync has returned. Writers do see them, so a write that depends on a
/// pending one (the same book, the same resource) orders after it: an insert of a pending id is a
/// duplicate, a booking conflicts with a pending booking, a delete of a pending delete finds nothing.
struct PendingChanges {
    struct Key: Hashable {
        var collection: String
        var id: String
    }

    private(set) var queue: [(ticket: UInt64, change: StoreChange)] = []
    /// The latest pending value per book: a document, or nil for a pending delete.
    private(set) var books: [String: JSONObject?] = [:]
    /// The latest pending whole resource (create, rename, delete), which supersedes earlier deltas.
    private(set) var resources: [Key: Resource?] = [:]
    /// Allocations added or removed since then.
    private(set) var added: [Key: [Allocation]] = [:]
    private(set) var removed: [Key: Set<String>] = [:]

    var isEmpty: Bool { queue.isEmpty }

    mutating func append(_ change: StoreChange, ticket: UInt64) {
        queue.append((ticket, change))
        fold(change)
    }

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
        books = [:]
        resources = [:]
        added = [:]
        removed = [:]
        for entry in queue { fold(entry.change) }
    }

    private mutating func fold(_ change: StoreChange) {
        switch change {
        case .putBook(let id, let document): books[id] = .some(document)
        case .deleteBook(let id): books[id] = .some(nil)
        case .putResource(let resource):
            let key = Key(collection: resource.kind.collection, id: resource.id)
            resources[key] = .some(resource)
            added[key] = nil
            removed[key] = nil
        case .deleteResource(let kind, let id):
            let key = Key(collection: kind.collection, id: id)
            resources[key] = .some(nil)
            added[key] = nil
            removed[key] = nil
        case .addAllocation(let kind, let resource, let allocation):
            added[Key(collection: kind.collection, id: resource), default: []].append(allocation)
        case .removeAllocation(let kind, let resource, let allocation):
            let key = Key(collection: kind.collection, id: resource)
            if let i = added[key]?.firstIndex(where: { $0.id == allocation }) {
                added[key]!.remove(at: i)
            } else {
                removed[key, default: []].insert(allocation)
            }
        }
    }
}

/// What a writer sees: the durable state with the pending changes over it.
struct WriterView {
    let state: StoreState
    let pending: PendingChanges

    func bookDocument(id: String) -> JSONObject? {
        if let p = pending.books[id] { return p }
        return state.books.document(id: id)
    }

    func bookJSON(id: String) -> [UInt8]? {
        if let p = pending.books[id] {
            return p.map { d in
                var out: [UInt8] = []; JSONWriter.writeObject(d, into: &out); return out
            }
        }
        return state.books.json(id: id)
    }

    func bookExists(id: String) -> Bool {
        if let p = pending.books[id] { return p != nil }
        return state.books.row(id: id) != nil
    }

    /// The resource without its allocations' pending deltas applied (cheap), or nil.
    private func base(_ kind: ResourceKind, _ id: String) -> (Resource, PendingChanges.Key)? {
        let key = PendingChanges.Key(collection: kind.collection, id: id)
        if let p = pending.resources[key] { return p.map { ($0, key) } }
        return state.inventory[kind]!.byID[id].map { ($0, key) }
    }

    func resourceExists(_ kind: ResourceKind, id: String) -> Bool { base(kind, id) != nil }

    /// The whole resource as it will be once every pending change is durable (copies its allocations).
    func resource(_ kind: ResourceKind, id: String) -> Resource? {
        guard var (resource, key) = base(kind, id) else { return nil }
        if let removed = pending.removed[key] { resource.allocations.removeAll { removed.contains($0.id) } }
        for allocation in pending.added[key] ?? [] { resource.allocations.insert(allocation, at: resource.insertionPoint(for: allocation.interval.from)) }
        return resource
    }

    /// The allocations `interval` would overlap, pending ones included; nil: no such resource.
    func conflicts(_ kind: ResourceKind, id: String, with interval: Interval) -> [Allocation]? {
        guard let (resource, key) = base(kind, id) else { return nil }
        let removed = pending.removed[key] ?? []
        var found = resource.conflicts(with: interval).filter { !removed.contains($0.id) }
        found += (pending.added[key] ?? []).filter { $0.interval.overlaps(interval) }
        return found.sorted { $0.interval.from < $1.interval.from }
    }

    func allocationExists(_ kind: ResourceKind, resource id: String, allocation: String) -> Bool? {
        guard let (resource, key) = base(kind, id) else { return nil }
        if pending.added[key]?.contains(where: { $0.id == allocation }) == true { return true }
        if pending.removed[key]?.contains(allocation) == true { return false }
        return resource.allocations.contains { $0.id == allocation }
    }
}
