import JSON

/// The inventory on the embedded store. Writers are serialised, and each decides against the
/// durable state plus pending changes, so the overlap check and the insert of an allocation are one
/// atomic step, journaled as one record: a booking is its own small record (`addAllocation`), not
/// a rewrite of the resource. A pending booking blocks others at once, but is shown only once durable.
extension EmbeddedStore: InventoryStore {
    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]) {
        reading { $0.inventory[kind]!.page(query) }
    }

    func freeBusy(_ kinds: [ResourceKind], window: Interval, skip: Int, limit: Int) throws(StoreError) -> FreeBusyPage {
        try freeBusyPages(
            kinds, skip: skip, limit: limit,
            page: { (kind, query) throws(StoreError) in try listResources(kind, query) },
            busy: { (_, resources) throws(StoreError) in resources.map { $0.conflicts(with: window) } })
    }

    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource? {
        reading { $0.inventory[kind]!.byID[id] }
    }

    func createResource(_ resource: Resource) throws(StoreError) {
        try write { view throws(StoreError) in
            if try view.resourceExists(resource.kind, id: resource.id) { throw .duplicateID(resource.id) }
            return [.putResource(resource)]
        }
    }

    func renameResource(_ kind: ResourceKind, id: String, name: String) throws(StoreError) -> Resource? {
        var renamed: Resource?
        try write { view throws(StoreError) in
            guard var resource = try view.resource(kind, id: id) else { return [] }
            resource.name = name
            renamed = resource
            return [.putResource(resource)]
        }
        return renamed
    }

    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool {
        var found = false
        try write { view throws(StoreError) in
            guard try view.resourceExists(kind, id: id) else { return [] }
            found = true
            return [.deleteResource(kind, id: id)]
        }
        return found
    }

    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation) throws(StoreError) -> AllocationOutcome {
        var outcome = AllocationOutcome.resourceNotFound
        try write { view throws(StoreError) in
            guard let conflicts = try view.conflicts(kind, id: resourceID, with: allocation.interval) else { return [] }
            guard conflicts.isEmpty else { outcome = .conflict(conflicts); return [] }
            outcome = .created
            return [.addAllocation(kind, resource: resourceID, allocation)]
        }
        return outcome
    }

    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? {
        var result: Bool?
        try write { view throws(StoreError) in
            guard let exists = try view.allocationExists(kind, resource: resourceID, allocation: allocationID) else { return [] }
            result = exists
            return exists ? [.removeAllocation(kind, resource: resourceID, allocation: allocationID)] : []
        }
        return result
    }
}
