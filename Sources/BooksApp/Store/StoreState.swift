import JSON

/// Everything the embedded store holds in memory: the books and one table per resource kind.
/// Built from a snapshot and the journals on open; changed only by `apply`, once a change is durable.
struct StoreState {
    var books = BookTable()
    var inventory: [ResourceKind: ResourceTable] = Dictionary(uniqueKeysWithValues: ResourceKind.all.map { ($0, ResourceTable()) })

    mutating func replay(_ records: [JournalFormat.Record]) throws(StoreError) {
        var changes: [StoreChange] = []
        changes.reserveCapacity(records.count)
        for record in records {
            if let change = try StoreChange(record) { changes.append(change) }
        }
        apply(changes)
    }

    /// Applies changes in order. Books put into an empty table (a first import, a replay from
    /// nothing) are built in bulk: each sort index sorted once instead of a million inserts.
    mutating func apply(_ changes: [StoreChange]) {
        var rest = changes[...]
        if books.count == 0 {
            var bulk: [(BookRow, ArraySlice<UInt8>)] = []
            var seen: Set<String> = []
            while case .putBook(let book)? = rest.first, seen.insert(book.id).inserted {
                bulk.append((book.row, book.bytes[...]))
                rest = rest.dropFirst()
            }
            if bulk.count > 1 { books = BookTable(bulk: bulk) } else { rest = changes[...] }
        }
        for change in rest { apply(change) }
    }

    mutating func apply(_ change: StoreChange) {
        switch change {
        case .putBook(let book): books.put(book)
        case .deleteBook(let id): books.remove(id: id)
        case .putResource(let resource): inventory[resource.kind]!.put(resource, storedBytes: JSONWriter.encode(.object(resource.stored)).count)
        case .deleteResource(let kind, let id): inventory[kind]!.remove(id: id)
        case .putAllocation(let kind, let resource, let allocation, let replacing):
            inventory[kind]!.putAllocation(
                allocation, to: resource, replacing: replacing, storedBytes: JSONWriter.encode(.object(allocation.stored)).count + resource.utf8.count + 32)
        case .removeAllocation(let kind, let resource, let allocation): inventory[kind]!.removeAllocation(allocation, from: resource)
        }
    }

    var liveBytes: Int { books.liveBytes + inventory.values.reduce(0) { $0 + $1.liveBytes } }

    /// Every resource as a journal payload (a put with its allocations), for the snapshot.
    func resourcePayloads() -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        for kind in ResourceKind.all {
            for resource in inventory[kind]!.all { payloads.append(StoreChange.putResource(resource).payload) }
        }
        return payloads
    }
}

/// A copy is handed to the snapshot thread, which only reads it; every part is a value type.
extension StoreState: @unchecked Sendable {}
