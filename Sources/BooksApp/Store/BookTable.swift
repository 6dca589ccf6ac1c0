import JSON

/// One stored book, with what queries need precomputed: its encoded JSON (pages are assembled from
/// these bytes, never re-encoded), sort keys and lowercased text for `q`.
final class BookRecord {
    let id: String
    let idBytes: [UInt8]
    let sequence: UInt64
    private(set) var document: JSONObject
    private(set) var json: [UInt8]
    private(set) var keys: [SortKey]
    private(set) var lowerTitle = ""
    private(set) var lowerAuthor = ""

    init(id: String, sequence: UInt64, document: JSONObject) {
        self.id = id
        idBytes = Array(id.utf8)
        self.sequence = sequence
        self.document = document
        json = []
        keys = []
        replace(document)
    }

    func replace(_ document: JSONObject) {
        self.document = document
        json = []
        JSONWriter.writeObject(document, into: &json)
        keys = BookSortField.allCases.map { SortKey(document[$0.rawValue]) }
        lowerTitle = document["title"]?.stringValue?.lowercased() ?? ""
        lowerAuthor = document["author"]?.stringValue?.lowercased() ?? ""
    }
}

/// The books in memory: a hash by id (O(1) GET), insertion order, and one sorted order per sortable
/// field, each kept sorted on every write, so a sorted page never sorts.
struct BookTable {
    private(set) var byID: [String: BookRecord] = [:]
    private var natural: [BookRecord] = []
    private var orders: [SortedBlocks<BookRecord>] = Array(repeating: SortedBlocks(), count: BookSortField.allCases.count)
    private var nextSequence: UInt64 = 1
    /// Encoded size of the live books, to decide when the journal is worth compacting.
    private(set) var liveBytes = 0

    var count: Int { byID.count }
    var inInsertionOrder: [BookRecord] { natural }

    /// Inserts, or replaces the book with the same id (keeping its place in insertion order).
    mutating func put(_ document: JSONObject) {
        guard case .string(let id)? = document["id"] else { return }
        if let existing = byID[id] {
            removeFromOrders(existing)
            liveBytes -= existing.json.count
            existing.replace(document)
            liveBytes += existing.json.count
            insertIntoOrders(existing)
        } else {
            let record = BookRecord(id: id, sequence: nextSequence, document: document)
            nextSequence += 1
            byID[id] = record
            natural.append(record)
            liveBytes += record.json.count
            insertIntoOrders(record)
        }
    }

    @discardableResult
    mutating func remove(id: String) -> Bool {
        guard let record = byID.removeValue(forKey: id) else { return false }
        removeFromOrders(record)
        if let i = naturalIndex(of: record) { natural.remove(at: i) }
        liveBytes -= record.json.count
        return true
    }

    mutating func removeAll() {
        self = BookTable()
    }

    func page(_ query: BookQuery) -> BookPage {
        if query.sort.count > 1 { return multiKeyPage(query) }
        let ascending = query.sort.first?.ascending ?? true
        var items: [[UInt8]] = []
        if !query.hasFilters {
            let total = natural.count
            let start = min(query.skip, total), end = min(total, start + query.limit)
            items.reserveCapacity(end - start)
            if let sort = query.sort.first {
                orders[Self.slot(sort.field)].forEach(in: start..<end, reversed: !ascending) { items.append($0.json) }
            } else {
                for i in start..<end { items.append(natural[i].json) }
            }
            return BookPage(total: total, items: items)
        }
        let needle = query.text?.lowercased()
        var total = 0
        let visit = { (record: BookRecord) in
            guard Self.matches(record, query, needle: needle) else { return }
            if total >= query.skip && items.count < query.limit { items.append(record.json) }
            total += 1
        }
        if let sort = query.sort.first { orders[Self.slot(sort.field)].forEach(reversed: !ascending, visit) } else { natural.forEach(visit) }
        return BookPage(total: total, items: items)
    }

    /// Two sort keys have no prebuilt order: filter, then sort the matches (ties break on id, ascending).
    private func multiKeyPage(_ query: BookQuery) -> BookPage {
        let needle = query.text?.lowercased()
        let slots = query.sort.map { (Self.slot($0.field), $0.ascending) }
        let matches = natural.filter { Self.matches($0, query, needle: needle) }.sorted { a, b in
            for (slot, ascending) in slots where a.keys[slot] != b.keys[slot] {
                return ascending ? a.keys[slot] < b.keys[slot] : b.keys[slot] < a.keys[slot]
            }
            return a.idBytes.lexicographicallyPrecedes(b.idBytes)
        }
        let start = min(query.skip, matches.count), end = min(matches.count, start + query.limit)
        return BookPage(total: matches.count, items: matches[start..<end].map(\.json))
    }

    private static func matches(_ record: BookRecord, _ query: BookQuery, needle: String?) -> Bool {
        let doc = record.document
        if let author = query.author, doc["author"] != .string(author) { return false }
        if let read = query.read, doc["read"] != .bool(read) { return false }
        if query.yearFrom != nil || query.yearTo != nil {
            guard let year = doc["year"].flatMap(FieldRules.integer) else { return false }
            if let from = query.yearFrom, year < from { return false }
            if let to = query.yearTo, year > to { return false }
        }
        if let needle, !needle.isEmpty, !record.lowerTitle.contains(needle), !record.lowerAuthor.contains(needle) { return false }
        return true
    }

    // MARK: sorted orders

    private static func slot(_ field: BookSortField) -> Int { BookSortField.allCases.firstIndex(of: field)! }

    /// Orders by the field's key, then by id, so equal keys have a stable, documented order.
    private static func precedes(_ a: BookRecord, _ b: BookRecord, slot: Int) -> Bool {
        if a.keys[slot] != b.keys[slot] { return a.keys[slot] < b.keys[slot] }
        return a.idBytes.lexicographicallyPrecedes(b.idBytes)
    }

    private mutating func insertIntoOrders(_ record: BookRecord) {
        for slot in orders.indices { orders[slot].insert(record) { Self.precedes($0, $1, slot: slot) } }
    }

    private mutating func removeFromOrders(_ record: BookRecord) {
        for slot in orders.indices { orders[slot].remove(record) { Self.precedes($0, $1, slot: slot) } }
    }

    private func naturalIndex(of record: BookRecord) -> Int? {
        var low = 0, high = natural.count
        while low < high {
            let mid = (low + high) / 2
            if natural[mid].sequence < record.sequence { low = mid + 1 } else { high = mid }
        }
        return low < natural.count && natural[low] === record ? low : nil
    }
}
