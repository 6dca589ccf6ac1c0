import ASCIIText
import Glibc
import JSON

/// Keyset pages on the embedded store: the page starts right after the cursor's position in the
/// sort index (or insertion order), found by binary search, so any page costs O(log n + page)
/// however deep, plus the walk past rows the filters reject.
extension BookTable {
    func keysetPage(_ query: BookQuery, _ filter: Filter) -> BookPage {
        let sort = query.sort.first
        let order = sort.map { orders[Self.slot($0.field)] } ?? natural
        let reversed = !(sort?.ascending ?? true)
        var start = 0  // in walking order
        if let after = query.after {
            json.bytes.withUnsafeBufferPointer { arena in
                if reversed {  // the rows after the cursor, walking backwards: those before it going forwards
                    start = count - order.partitionPoint { compare($0, to: after, arena) < 0 }
                } else {
                    start = order.partitionPoint { compare($0, to: after, arena) <= 0 }
                }
            }
        }
        let total = filter.isActive ? filter.countMatches(in: self).total : count
        var items: [[UInt8]] = []
        var last: Int32?
        if query.limit > 0 {
            order.forEachWhile(from: start, reversed: reversed) { r in
                guard !filter.isActive || filter.matches(r, in: self) else { return true }
                items.append(jsonBytes(r))
                last = r
                return items.count < query.limit
            }
        }
        let next = items.count == query.limit ? last.map { cursor(after: $0, sort: sort) } : nil
        return BookPage(total: total, items: items, next: next)
    }

    /// The cursor that starts the page after row `r`.
    func cursor(after r: Int32, sort: BookSort?) -> PageCursor {
        let row = rows[Int(r)]
        let id = String(decoding: idBytes(r), as: UTF8.self)
        guard let sort else { return PageCursor(sort: nil, key: .null, id: id, position: String(row.sequence)) }
        let key: JSONValue
        switch sort.field {
        case .id: key = .string(id)
        case .title: key = .string(String(decoding: json.bytes[row.range(row.title)], as: UTF8.self))
        case .author: key = .string(String(decoding: authorBytes(r), as: UTF8.self))
        case .year: key = row.yearValue.map { .int($0) } ?? .null
        case .score: key = row.score == BookRow.none ? .null : .int(Int64(row.score))
        case .read: key = row.readValue.map { .bool($0) } ?? .null
        }
        return PageCursor(sort: sort, key: key, id: id, position: nil)
    }

    /// -1, 0 or 1: row `r` against the cursor's position, in the index's forward order.
    private func compare(_ r: Int32, to cursor: PageCursor, _ arena: UnsafeBufferPointer<UInt8>) -> Int {
        let row = rows[Int(r)]
        guard let sort = cursor.sort else {
            let position = ASCIIDecimal.parse(cursor.position ?? "") ?? 0  // strict digits; another store's token starts over
            return row.sequence == position ? 0 : (row.sequence < position ? -1 : 1)
        }
        var c: Int
        switch sort.field {
        case .id: c = 0
        case .title: c = Self.compare(arena, row.range(row.title), cursor.key.stringValue)
        case .author: c = Self.compare(arena, row.range(row.author), cursor.key.stringValue)
        case .year: c = Self.compare(row.year, cursor.key)
        case .score: c = Self.compare(row.score, cursor.key)
        case .read:
            let rank: (UInt8) -> Int = { $0 == 2 ? 0 : Int($0) + 1 }
            var key: UInt8 = 2
            if case .bool(let b) = cursor.key { key = b ? 1 : 0 }
            c = rank(row.read) == rank(key) ? 0 : (rank(row.read) < rank(key) ? -1 : 1)
        }
        return c != 0 ? c : Self.compare(arena, row.range(row.id), cursor.id)
    }

    private static func compare(_ arena: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ key: String?) -> Int {
        var key = key ?? ""
        return key.withUTF8 { k in
            let n = min(range.count, k.count)
            if n > 0 {
                let c = memcmp(arena.baseAddress! + range.lowerBound, k.baseAddress!, n)
                if c != 0 { return c < 0 ? -1 : 1 }
            }
            return range.count == k.count ? 0 : (range.count < k.count ? -1 : 1)
        }
    }

    /// A stored small integer (`BookRow.none` when absent) against a cursor's number or null.
    private static func compare(_ value: Int32, _ key: JSONValue) -> Int {
        var k = Int64(BookRow.none)
        if case .int(let i) = key { k = i }
        let v = Int64(value)
        return v == k ? 0 : (v < k ? -1 : 1)
    }
}
