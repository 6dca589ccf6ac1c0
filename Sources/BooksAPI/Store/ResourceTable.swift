import JSON

/// One resource kind's resources in memory, in insertion order, with their stored sizes.
struct ResourceTable {
    private(set) var byID: [String: Resource] = [:]
    private var order: [String] = []
    private var sizes: [String: Int] = [:]
    private(set) var liveBytes = 0

    var all: [Resource] { order.compactMap { byID[$0] } }

    mutating func put(_ resource: Resource, storedBytes: Int) {
        if byID[resource.id] == nil { order.append(resource.id) }
        liveBytes += storedBytes - (sizes[resource.id] ?? 0)
        sizes[resource.id] = storedBytes
        byID[resource.id] = resource
    }

    @discardableResult
    mutating func remove(id: String) -> Bool {
        guard byID.removeValue(forKey: id) != nil else { return false }
        order.removeAll { $0 == id }
        liveBytes -= sizes.removeValue(forKey: id) ?? 0
        return true
    }

    /// Resources are few compared with books, so a page filters and sorts on the fly.
    func page(_ query: ResourceQuery) -> (total: Int, items: [Resource]) {
        var matches = all
        if let window = query.available { matches = matches.filter { $0.conflicts(with: window).isEmpty } }
        if let sort = query.sort {
            matches.sort { a, b in
                let (x, y) = sort.ascending ? (a, b) : (b, a)
                switch sort.field {
                case .id: return x.id.utf8.lexicographicallyPrecedes(y.id.utf8)
                case .name: return x.name.utf8.lexicographicallyPrecedes(y.name.utf8) || (x.name == y.name && x.id.utf8.lexicographicallyPrecedes(y.id.utf8))
                case .created_at: return x.createdAt < y.createdAt || (x.createdAt == y.createdAt && x.id.utf8.lexicographicallyPrecedes(y.id.utf8))
                }
            }
        }
        let start = min(query.skip, matches.count), end = min(matches.count, start + query.limit)
        return (matches.count, Array(matches[start..<end]))
    }
}
