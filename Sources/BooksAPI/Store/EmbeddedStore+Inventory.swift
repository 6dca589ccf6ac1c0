import JSON

/// The inventory on the embedded store. Every change runs under the write lock, so the overlap
/// check and the insert of an allocation are one atomic step, journaled as one record.
extension EmbeddedStore: InventoryStore {
    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]) {
        reading { $0.inventory[kind]!.page(query) }
    }

    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource? {
        reading { $0.inventory[kind]!.byID[id] }
    }

    func createResource(_ resource: Resource) throws(StoreError) {
        try write { () throws(StoreError) -> UInt64? in
            if state.inventory[resource.kind]!.byID[resource.id] != nil { throw .duplicateID(resource.id) }
            return try putResourceLocked(resource)
        }
    }

    func renameResource(_ kind: ResourceKind, id: String, name: String) throws(StoreError) -> Resource? {
        var renamed: Resource?
        try write { () throws(StoreError) -> UInt64? in
            guard var resource = state.inventory[kind]!.byID[id] else { return nil }
            resource.name = name
            renamed = resource
            return try putResourceLocked(resource)
        }
        return renamed
    }

    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool {
        var found = false
        try write { () throws(StoreError) -> UInt64? in
            guard state.inventory[kind]!.byID[id] != nil else { return nil }
            let ticket = try journal.append(JournalFormat.payload(.delete, collection: kind.collection, data: Array(id.utf8)))
            state.inventory[kind]!.remove(id: id)
            found = true
            return ticket
        }
        return found
    }

    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation) throws(StoreError) -> AllocationOutcome {
        var outcome = AllocationOutcome.resourceNotFound
        try write { () throws(StoreError) -> UInt64? in
            guard var resource = state.inventory[kind]!.byID[resourceID] else { return nil }
            let conflicts = resource.conflicts(with: allocation.interval)
            guard conflicts.isEmpty else { outcome = .conflict(conflicts); return nil }
            let position = resource.allocations.firstIndex { $0.interval.from > allocation.interval.from } ?? resource.allocations.count
            resource.allocations.insert(allocation, at: position)
            outcome = .created
            return try putResourceLocked(resource)
        }
        return outcome
    }

    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? {
        var result: Bool?
        try write { () throws(StoreError) -> UInt64? in
            guard var resource = state.inventory[kind]!.byID[resourceID] else { return nil }
            guard let index = resource.allocations.firstIndex(where: { $0.id == allocationID }) else { result = false; return nil }
            resource.allocations.remove(at: index)
            result = true
            return try putResourceLocked(resource)
        }
        return result
    }

    /// Journals and applies a whole resource; call under the write lock.
    private func putResourceLocked(_ resource: Resource) throws(StoreError) -> UInt64 {
        let data = JSONWriter.encode(.object(resource.stored))
        let ticket = try journal.append(JournalFormat.payload(.put, collection: resource.kind.collection, data: data))
        state.inventory[resource.kind]!.put(resource, storedBytes: data.count)
        return ticket
    }
}
