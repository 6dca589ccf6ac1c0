import JSON

/// The inventory on the embedded store. Every change runs under the write lock, so the overlap
/// check and the insert of an allocation are one atomic step, journaled as one record: a booking
/// is its own small record (`addAllocation`), not a rewrite of the resource.
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
            guard let conflicts = state.inventory[kind]!.byID[resourceID]?.conflicts(with: allocation.interval) else { return nil }
            guard conflicts.isEmpty else { outcome = .conflict(conflicts); return nil }
            let data = JSONWriter.encode(.object(JSONObject([JSONField("resource", .string(resourceID)), JSONField("allocation", .object(allocation.stored))])))
            let ticket = try journal.append(JournalFormat.payload(.addAllocation, collection: kind.collection, data: data))
            state.inventory[kind]!.addAllocation(allocation, to: resourceID, storedBytes: data.count)
            outcome = .created
            return ticket
        }
        return outcome
    }

    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? {
        var result: Bool?
        try write { () throws(StoreError) -> UInt64? in
            guard let resource = state.inventory[kind]!.byID[resourceID] else { return nil }
            guard resource.allocations.contains(where: { $0.id == allocationID }) else { result = false; return nil }
            let data = JSONWriter.encode(.object(JSONObject([JSONField("resource", .string(resourceID)), JSONField("allocation", .string(allocationID))])))
            let ticket = try journal.append(JournalFormat.payload(.removeAllocation, collection: kind.collection, data: data))
            state.inventory[kind]!.removeAllocation(allocationID, from: resourceID)
            result = true
            return ticket
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
