import JSON

/// One resource kind's resources in memory, in insertion order, with their stored sizes.
struct ResourceTable {
    private(set) var byID: [String: Resource] = [:]
    private var order: [String] = []
    /// Ids sorted by name, then id (UTF-8 bytes, as MongoDB compares), so a page by name (the
    /// fleet timeline's, GET /availability) is a slice, not a sort of every resource.
    private var byName: [String] = []
    private var sizes: [String: Int] = [:]
    private(set) var liveBytes = 0

    var all: [Resource] { order.compactMap { byID[$0] } }

    mutating func put(_ resource: Resource, storedBytes: Int) {
        if let old = byID[resource.id] {
            if old.name != resource.name {
                byName.remove(at: namePosition(old.name, old.id))
                byName.insert(resource.id, at: namePosition(resource.name, resource.id))
            }
        } else {
            order.append(resource.id)
            byName.insert(resource.id, at: namePosition(resource.name, resource.id))
        }
        liveBytes += storedBytes - (sizes[resource.id] ?? 0)
        sizes[resource.id] = storedBytes
        byID[resource.id] = resource
    }

    /// Where (name, id) is or would go in `byName`: the first entry not before it.
    private func namePosition(_ name: String, _ id: String) -> Int {
        var low = 0, high = byName.count
        while low < high {
            let mid = (low + high) / 2
            let other = byName[mid], otherName = byID[other]!.name
            let before = otherName == name ? other.utf8.lexicographicallyPrecedes(id.utf8) : otherName.utf8.lexicographicallyPrecedes(name.utf8)
            if before { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Puts an allocation in place (no copy of the resource's other allocations), replacing one
    /// with its id and keeping both lists sorted. `storedBytes` is its journal size, for the
    /// compaction estimate.
    mutating func putAllocation(_ allocation: Allocation, to id: String, replacing: Bool, storedBytes: Int) {
        guard byID[id] != nil else { return }
        byID[id]!.put(allocation, replacing: replacing)
        sizes[id, default: 0] += storedBytes
        liveBytes += storedBytes
    }

    /// Removes an allocation in place; true if it was there.
    @discardableResult
    mutating func removeAllocation(_ allocationID: String, from id: String) -> Bool {
        byID[id]?.remove(allocationID) ?? false
    }

    @discardableResult
    mutating func remove(id: String) -> Bool {
        guard let old = byID[id] else { return false }
        byName.remove(at: namePosition(old.name, old.id))
        byID.removeValue(forKey: id)
        order.removeAll { $0 == id }
        liveBytes -= sizes.removeValue(forKey: id) ?? 0
        return true
    }

    /// Resources are few compared with books, so a page filters and sorts on the fly. Unsorted, it
    /// counts every match but keeps only the page; each availability test is a binary search of
    /// that resource's allocations.
    func page(_ query: ResourceQuery, at now: Int64) -> (total: Int, items: [Resource]) {
        if query.sort.isEmpty {
            var total = 0
            var items: [Resource] = []
            for id in order {
                guard let resource = byID[id] else { continue }
                if let window = query.available, !resource.isFree(during: window, at: now) { continue }
                if total >= query.skip, items.count < query.limit { items.append(resource) }
                total += 1
            }
            return (total, items)
        }
        if query.available == nil, query.sort.count == 1, query.sort[0].field == .name {
            // The name index: ascending is its order, descending its reverse (ties on id both ways);
            // a keyset page starts after its position, found by a binary search.
            let n = byName.count
            if let after = query.after, query.sort[0].ascending {
                var from = namePosition(after.name, after.id)
                if from < n, byName[from] == after.id { from += 1 }
                let end = min(n, from + min(query.limit, n))
                return (n, byName[from..<end].map { byID[$0]! })
            }
            let start = min(query.skip, byName.count), end = min(byName.count, start + query.limit)
            let ids = query.sort[0].ascending ? Array(byName[start..<end]) : Array(byName[(n - end)..<(n - start)].reversed())
            return (n, ids.map { byID[$0]! })
        }
        var matches = all
        if let window = query.available { matches = matches.filter { $0.isFree(during: window, at: now) } }
        if !query.sort.isEmpty {
            matches.sort { a, b in
                for key in query.sort {
                    let order = Self.compare(a, b, key.field)
                    if order != 0 { return key.ascending ? order < 0 : order > 0 }
                }
                return query.sort.count == 1 && !query.sort[0].ascending ? b.id.utf8.lexicographicallyPrecedes(a.id.utf8) : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
            }
        }
        let start = min(query.skip, matches.count), end = min(matches.count, start + query.limit)
        return (matches.count, Array(matches[start..<end]))
    }

    /// -1, 0 or 1, by UTF-8 bytes for strings as MongoDB compares them.
    private static func compare(_ a: Resource, _ b: Resource, _ field: ResourceSortField) -> Int {
        switch field {
        case .id: return a.id == b.id ? 0 : (a.id.utf8.lexicographicallyPrecedes(b.id.utf8) ? -1 : 1)
        case .name: return a.name == b.name ? 0 : (a.name.utf8.lexicographicallyPrecedes(b.name.utf8) ? -1 : 1)
        case .created_at: return a.createdAt == b.createdAt ? 0 : (a.createdAt < b.createdAt ? -1 : 1)
        }
    }
}
