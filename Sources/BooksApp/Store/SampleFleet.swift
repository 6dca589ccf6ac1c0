import JSON

/// The sample fleet of rawdata/fleet-data-to-insert.js, loaded through the store's own
/// operations (so overlap rules hold, on either store), its bookings placed relative to today.
enum SampleFleet {
    /// Loads it into `store` at `now`; `replace` first decommissions the sample resources (by id).
    /// Returns how many resources and allocations it added.
    static func load(into store: any InventoryStore, path: String, now: Int64, holdTTLMillis: Int64, replace: Bool) throws(StoreError) -> (resources: Int, allocations: Int) {
        let day: Int64 = 86_400_000
        let today = now - ((now % day) + day) % day
        var counts = (resources: 0, allocations: 0)
        for (i, item) in try SeedFile.fleet(path: path).enumerated() {
            guard let o = item.objectValue, case .string(let type)? = o["type"], let kind = ResourceKind.all.first(where: { $0.type == type }),
                case .string(let id)? = o["id"], case .string(let name)? = o["name"], case .array(let bookings)? = o["bookings"]
            else { throw .invalid("fleet seed entry #\(i + 1) needs type (\(ResourceKind.all.map(\.type).joined(separator: ", "))), id, name and bookings") }
            if replace { _ = try store.deleteResource(kind, id: id) }
            let turnaround = o["turnaround_minutes"].flatMap(FieldRules.integer).map { Int(clamping: $0) } ?? 0
            try store.createResource(Resource(id: id, name: name, kind: kind, createdAt: now, turnaroundMinutes: turnaround))
            counts.resources += 1
            for (j, value) in bookings.enumerated() {
                let allocation = try booking(value, id: "\(id)-\(j + 1)", today: today, now: now, holdTTLMillis: holdTTLMillis)
                switch try store.allocate(kind, resourceID: id, allocation, at: now) {
                case .created: counts.allocations += 1
                case .conflict(let c): throw .invalid("fleet seed \(id) booking \(j + 1) overlaps \(c.map(\.id).joined(separator: ", "))")
                case .resourceNotFound: throw .invalid("fleet seed \(id) vanished while loading")
                }
            }
        }
        return counts
    }

    private static func booking(_ value: JSONValue, id: String, today: Int64, now: Int64, holdTTLMillis: Int64) throws(StoreError) -> Allocation {
        guard let b = value.objectValue, let days = b["day"].flatMap(FieldRules.integer), case .string(let start)? = b["start"],
            let hours = b["hours"].flatMap(FieldRules.integer), hours > 0, case .string(let type)? = b["allocation_type"]
        else { throw .invalid("fleet seed booking \(id) needs day, start (HH:MM), hours and allocation_type") }
        let parts = start.split(separator: ":").compactMap { Int64($0) }
        guard parts.count == 2, (0..<24).contains(parts[0]), (0..<60).contains(parts[1]) else { throw .invalid("fleet seed booking \(id): start must be HH:MM") }
        let from = today + days * 86_400_000 + (parts[0] * 60 + parts[1]) * 60_000
        let status = b["status"]?.stringValue.flatMap(AllocationStatus.init(rawValue:)) ?? .confirmed
        return Allocation(
            id: id, interval: Interval(from: from, to: from + hours * 3_600_000), allocationType: type, description: b["description"]?.stringValue, status: status,
            expiresAt: status == .tentative ? now + holdTTLMillis : nil, createdAt: now, updatedAt: now)
    }

    /// Whether no resource of any kind exists yet.
    static func inventoryIsEmpty(_ store: any InventoryStore) throws(StoreError) -> Bool {
        for kind in ResourceKind.all where try store.listResources(kind, ResourceQuery(skip: 0, limit: 0)).total > 0 { return false }
        return true
    }
}
