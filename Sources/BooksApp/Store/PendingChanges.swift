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
    /// The latest pending change of any kind per document.
    private var tickets: [Key: UInt64] = [:]
    /// Per resource: a pending whole-resource change (create, rename, delete), and pending
    /// bookings and cancellations with their tickets, so a booking waits only for the pending
    /// changes its interval touches, and bookings of one car still share a group commit.
    private var resourceChanges: [Key: UInt64] = [:]
    private(set) var putAllocations: [Key: [(allocation: Allocation, ticket: UInt64)]] = [:]
    private(set) var removedAllocations: [Key: [String: UInt64]] = [:]

    var isEmpty: Bool { queue.isEmpty }

    mutating func append(_ change: StoreChange, ticket: UInt64) {
        queue.append((ticket, change))
        note(change, ticket)
    }

    func ticket(for key: Key) -> UInt64? { tickets[key] }
    func resourceChange(for key: Key) -> UInt64? { resourceChanges[key] }

    private mutating func note(_ change: StoreChange, _ ticket: UInt64) {
        let key = change.key
        tickets[key] = ticket
        switch change {
        case .putResource, .deleteResource: resourceChanges[key] = ticket
        case .putAllocation(_, _, let allocation, _): putAllocations[key, default: []].append((allocation, ticket))
        case .removeAllocation(_, _, let allocation): removedAllocations[key, default: [:]][allocation] = ticket
        case .putBook, .deleteBook: break
        }
    }

    /// Takes the changes whose tickets are durable, in order, and forgets them here.
    mutating func takeDurable(through ticket: UInt64) -> [StoreChange] {
        let count = queue.prefix { $0.ticket <= ticket }.count
        guard count > 0 else { return [] }
        let taken = queue[0..<count]
        queue.removeFirst(count)
        for entry in taken { forget(entry.change, entry.ticket) }  // O(taken), not O(queue)
        return taken.map(\.change)
    }

    /// Forgets changes whose write failed (tickets after `ticket`).
    mutating func dropAll(after ticket: UInt64) {
        queue.removeAll { $0.ticket > ticket }
        rebuild()
    }

    /// Drops what `note` recorded for this change, unless a later change of the key replaced it.
    private mutating func forget(_ change: StoreChange, _ ticket: UInt64) {
        let key = change.key
        if tickets[key] == ticket { tickets[key] = nil }
        switch change {
        case .putResource, .deleteResource:
            if resourceChanges[key] == ticket { resourceChanges[key] = nil }
        case .putAllocation:
            putAllocations[key]?.removeAll { $0.ticket == ticket }
            if putAllocations[key]?.isEmpty == true { putAllocations[key] = nil }
        case .removeAllocation(_, _, let allocation):
            if removedAllocations[key]?[allocation] == ticket { removedAllocations[key]![allocation] = nil }
            if removedAllocations[key]?.isEmpty == true { removedAllocations[key] = nil }
        case .putBook, .deleteBook: break
        }
    }

    private mutating func rebuild() {
        tickets = [:]
        resourceChanges = [:]
        putAllocations = [:]
        removedAllocations = [:]
        for entry in queue { note(entry.change, entry.ticket) }
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
        case .putAllocation(let kind, let resource, _, _), .removeAllocation(let kind, let resource, _): return .init(collection: kind.collection, id: resource)
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

    /// The resource as durable, if a booking of `interval` can be decided against it now: it waits
    /// only for pending changes that could change the answer: the resource itself (created,
    /// renamed, deleted), a pending booking or change that overlaps, a pending change of an
    /// overlapping one, or one of `except` (the allocation being changed). nil: no such resource.
    func resource(_ kind: ResourceKind, id: String, deciding interval: Interval, except: String? = nil) throws(StoreError) -> Resource? {
        let key = PendingChanges.Key(collection: kind.collection, id: id)
        if let ticket = pending.resourceChange(for: key) { throw .pendingWrite(ticket: ticket) }
        guard let resource = state.inventory[kind]!.byID[id] else { return nil }
        let blocked = resource.blocked(interval)
        for put in pending.putAllocations[key] ?? [] where put.allocation.blocked.overlaps(blocked) || put.allocation.id == except {
            throw .pendingWrite(ticket: put.ticket)
        }
        let pendingIDs = Set((pending.putAllocations[key] ?? []).map(\.allocation.id))
        let removals = pending.removedAllocations[key] ?? [:]
        if let except, let ticket = removals[except] { throw .pendingWrite(ticket: ticket) }
        guard !pendingIDs.isEmpty || !removals.isEmpty else { return resource }
        for allocation in resource.conflicts(with: blocked, at: Int64.min) where pendingIDs.contains(allocation.id) || removals[allocation.id] != nil {
            // Any pending change of an overlapping one (now: the earliest instant, so even expired holds count).
            if let ticket = removals[allocation.id] ?? pending.putAllocations[key]?.last(where: { $0.allocation.id == allocation.id })?.ticket {
                throw .pendingWrite(ticket: ticket)
            }
        }
        return resource
    }

    func allocationExists(_ kind: ResourceKind, resource id: String, allocation: String) throws(StoreError) -> Bool? {
        let key = PendingChanges.Key(collection: kind.collection, id: id)
        if let ticket = pending.resourceChange(for: key) { throw .pendingWrite(ticket: ticket) }
        if let added = pending.putAllocations[key]?.first(where: { $0.allocation.id == allocation }) { throw .pendingWrite(ticket: added.ticket) }
        if let ticket = pending.removedAllocations[key]?[allocation] { throw .pendingWrite(ticket: ticket) }
        return state.inventory[kind]!.byID[id].map { $0.allocation(allocation) != nil }
    }
}
