/// Answers a list query from the table's indexes. The plan, chosen per query:
/// - unfiltered: read the page straight out of the sort's index (or insertion order);
/// - filtered: the candidates are the smallest of the exact-filter indexes (author, read, year
///   range) or the rows the text arena search found for `q`; the total is counted over them (or
///   read off the index when it is the only filter). The page then comes either from walking the
///   sort's index and testing each row, or from sorting the matching candidates, whichever the
///   counts say is cheaper;
/// - two sort keys: walk the first key's index group by group, and order only the group the page
///   falls in by the second key.
extension BookTable {
    func page(_ query: BookQuery) -> BookPage {
        let filter = Filter(query, table: self)
        if query.keyset { return keysetPage(query, filter) }
        if query.sort.count > 1 { return multiKeyPage(query, filter) }
        let order = query.sort.first.map { orders[Self.slot($0.field)] } ?? natural
        let reversed = !(query.sort.first?.ascending ?? true)
        guard filter.isActive else {
            var items: [[UInt8]] = []
            let end = min(count, Self.pageEnd(query))
            if query.skip < end { order.forEach(in: query.skip..<end, reversed: reversed) { items.append(jsonBytes($0)) } }
            return BookPage(total: count, items: items)
        }
        let (total, matches) = filter.countMatches(in: self)
        let wanted = min(total, Self.pageEnd(query))
        guard query.skip < wanted else { return BookPage(total: total, items: []) }
        var items: [[UInt8]] = []
        items.reserveCapacity(wanted - query.skip)
        if let matches, Self.sortingIsCheaper(matches: matches.count, wanted: wanted, tableCount: count) {
            let sorted = sortedRows(matches, by: query.sort.first)
            let ordered = reversed ? Array(sorted.reversed()) : sorted
            for r in ordered[query.skip..<wanted] { items.append(jsonBytes(r)) }
        } else {
            var seen = 0
            order.forEachWhile(reversed: reversed) { r in
                guard filter.matches(r, in: self) else { return true }
                if seen >= query.skip { items.append(jsonBytes(r)) }
                seen += 1
                return seen < wanted
            }
        }
        return BookPage(total: total, items: items)
    }

    /// skip + limit, saturating.
    static func pageEnd(_ query: BookQuery) -> Int {
        let (end, overflow) = query.skip.addingReportingOverflow(query.limit)
        return overflow ? Int.max : end
    }

    /// Walking the index costs about wanted × (table / matches) steps; sorting costs m log m.
    static func sortingIsCheaper(matches: Int, wanted: Int, tableCount: Int) -> Bool {
        guard matches > 0 else { return true }
        let walk = Double(wanted) * Double(tableCount) / Double(matches)
        let sort = Double(matches) * Double(Int.bitWidth - matches.leadingZeroBitCount)  // m log2 m
        return sort < walk
    }

    /// Rows in a single sort's ascending order (field, then id), or in insertion order.
    private func sortedRows(_ list: [Int32], by sort: BookSort?) -> [Int32] {
        guard let sort else { return list.sorted { rows[Int($0)].sequence < rows[Int($1)].sequence } }
        return json.bytes.withUnsafeBufferPointer { arena in list.sorted { BookRow.precedes(rows[Int($0)], rows[Int($1)], sort.field, arena) } }
    }

    // MARK: two sort keys

    /// Ordered by the first key, then the second, then id ascending (as MongoDB's sort with the id
    /// tie-break). The first key's index is walked in groups of equal value; groups before the page
    /// are only counted, and the group holding the page is ordered by the second key.
    private func multiKeyPage(_ query: BookQuery, _ filter: Filter) -> BookPage {
        if !filter.isActive { return unfilteredMultiKeyPage(query) }
        let first = query.sort[0], second = query.sort[1]
        let total = filter.isActive ? filter.countMatches(in: self).total : count
        let wanted = min(total, Self.pageEnd(query))
        guard query.skip < wanted else { return BookPage(total: total, items: []) }
        var items: [[UInt8]] = []
        var seen = 0  // matches in the groups already passed
        var group: [Int32] = []
        func flush() -> Bool {  // false once the page is complete
            defer { group.removeAll(keepingCapacity: true) }
            guard seen + group.count > query.skip else { seen += group.count; return true }
            let ordered = group.count > largeGroup ? orderLargeGroup(group, by: second, upTo: wanted - seen) : orderGroup(group, by: second)
            for r in ordered {
                if seen >= query.skip { items.append(jsonBytes(r)) }
                seen += 1
                if seen >= wanted { return false }
            }
            return true
        }
        var groupKey: Int32?
        _ = json.bytes.withUnsafeBufferPointer { arena in
            orders[Self.slot(first.field)].forEachWhile(reversed: !first.ascending) { r in
                if let key = groupKey, BookRow.compare(rows[Int(key)], rows[Int(r)], first.field, arena) != 0 {
                    if !flush() { return false }
                }
                groupKey = r
                if !filter.isActive || filter.matches(r, in: self) { group.append(r) }
                return true
            }
        }
        if seen < wanted { _ = flush() }
        return BookPage(total: total, items: items)
    }
}

extension BookTable {
    /// Two keys, no filter: the group holding position `skip` is found by binary search in the
    /// first key's index, so neither a deep skip nor a huge group is walked: O(log n) per group
    /// the page touches, plus the page.
    func unfilteredMultiKeyPage(_ query: BookQuery) -> BookPage {
        let first = query.sort[0], second = query.sort[1]
        let order = orders[Self.slot(first.field)]
        let wanted = min(count, Self.pageEnd(query))
        var items: [[UInt8]] = []
        var position = query.skip  // in walking order
        json.bytes.withUnsafeBufferPointer { arena in
            while position < wanted {
                let forward = first.ascending ? position : count - 1 - position
                let key = rows[Int(order.element(at: forward))]
                let lower = order.partitionPoint { BookRow.compare(rows[Int($0)], key, first.field, arena) < 0 }
                let upper = order.partitionPoint { BookRow.compare(rows[Int($0)], key, first.field, arena) <= 0 }
                let groupStart = first.ascending ? lower : count - upper  // where the group begins, in walking order
                let needed = min(upper - lower, wanted - groupStart)
                var group: [Int32] = []
                if upper - lower <= largeGroup {
                    group.reserveCapacity(upper - lower)
                    order.forEach(in: lower..<upper, reversed: false) { group.append($0) }
                    group = orderGroup(group, by: second)
                } else {
                    group = orderLargeGroup(by: second, upTo: needed) { BookRow.compare(rows[Int($0)], key, first.field, arena) == 0 }
                }
                for r in group[(position - groupStart)..<needed] { items.append(jsonBytes(r)) }
                position = groupStart + needed
            }
        }
        return BookPage(total: count, items: items)
    }

    /// A group (equal first key) ordered by the second key, then id ascending.
    func orderGroup(_ group: [Int32], by second: BookSort) -> [Int32] {
        json.bytes.withUnsafeBufferPointer { arena in
            group.sorted { a, b in
                let x = rows[Int(a)], y = rows[Int(b)]
                let c = BookRow.compare(x, y, second.field, arena)
                if c != 0 { return second.ascending ? c < 0 : c > 0 }
                return BookRow.compareBytes(arena, x.range(x.id), y.range(y.id)) < 0
            }
        }
    }

    /// The first `count` rows of a large group in that order, by walking the second key's index
    /// and keeping the group's members: cost about count × (table / group), not group × log group.
    /// The index breaks ties by id in its own direction, so a descending walk reverses each run of
    /// equal keys to keep ids ascending.
    func orderLargeGroup(_ group: [Int32], by second: BookSort, upTo count: Int) -> [Int32] {
        var members = Bitset(count: rows.count)
        for r in group { members.insert(Int(r)) }
        return orderLargeGroup(by: second, upTo: count) { members.contains(Int($0)) }
    }

    /// As above, for the rows `isMember` accepts.
    func orderLargeGroup(by second: BookSort, upTo count: Int, isMember: (Int32) -> Bool) -> [Int32] {
        var out: [Int32] = []
        var run: [Int32] = []
        _ = json.bytes.withUnsafeBufferPointer { arena in
            orders[Self.slot(second.field)].forEachWhile(reversed: !second.ascending) { r in
                guard isMember(r) else { return true }
                if let last = run.last, BookRow.compare(rows[Int(last)], rows[Int(r)], second.field, arena) != 0 {
                    out += second.ascending ? run : run.reversed()
                    run.removeAll(keepingCapacity: true)
                    if out.count >= count { return false }
                }
                run.append(r)
                return true
            }
        }
        out += second.ascending ? run : run.reversed()
        return out
    }
}

/// A list query's filters, resolved against the table once: byte strings to compare, and, for a
/// `q` that must be searched table-wide, the set of rows the text arena matched.
struct Filter {
    var author: [UInt8]?
    var read: Bool?
    var yearFrom: Int64?
    var yearTo: Int64?
    var needle: [UInt8]?
    /// Rows whose text matched, when `q` was searched over the whole arena.
    var textMatches: Bitset?
    /// The candidates: the smallest exact-filter index, or the text matches; nil means every row.
    var candidates: [Int32]?
    /// True when the candidates are exactly the matches (a single filter).
    var candidatesAreMatches = false

    var isActive: Bool { author != nil || read != nil || yearFrom != nil || yearTo != nil || needle != nil }

    init(_ query: BookQuery, table: BookTable) {
        author = query.author.map { Array($0.utf8) }
        read = query.read
        yearFrom = query.yearFrom
        yearTo = query.yearTo
        needle = query.text.map { TextArena.lowercase(Array($0.utf8)[...]) }
        guard isActive else { return }
        var exact: [[Int32]] = []
        if let author { exact.append(table.byAuthor[author] ?? []) }
        if let read { exact.append(table.byRead[read] ?? []) }
        if yearFrom != nil || yearTo != nil {
            let low = yearFrom ?? .min, high = yearTo ?? .max
            exact.append(low > high ? [] : table.byYear.filter { low <= $0.key && $0.key <= high }.values.flatMap { $0 })
        }
        let filterCount = exact.count + (needle == nil ? 0 : 1)
        var best = exact.min { $0.count < $1.count }
        // `q` has no index: search the arena when no exact index narrows the rows to a few.
        if let needle, best.map({ $0.count > table.count / 16 }) ?? true {
            var found = Bitset(count: table.rows.count)
            var list: [Int32] = []
            table.text.search(needle, isLive: { r, start in table.rows[Int(r)].textStart == start && !table.rows[Int(r)].isVacant }) { r in
                found.insert(Int(r))
                list.append(r)
            }
            textMatches = found
            if best == nil || list.count < best!.count { best = list }
        }
        candidates = best
        candidatesAreMatches = filterCount == 1
    }

    func matches(_ r: Int32, in table: BookTable) -> Bool {
        let row = table.rows[Int(r)]
        if let author, !table.authorBytes(r).elementsEqual(author) { return false }
        if let read, row.readValue != read { return false }
        if yearFrom != nil || yearTo != nil {
            guard let year = row.yearValue else { return false }
            if let yearFrom, year < yearFrom { return false }
            if let yearTo, year > yearTo { return false }
        }
        if let needle {
            if let textMatches { return textMatches.contains(Int(r)) }
            return table.text.entry(start: row.textStart, count: row.textCount, contains: needle)
        }
        return true
    }

    /// The number of matches, and the matching rows when they were listed on the way.
    func countMatches(in table: BookTable) -> (total: Int, matches: [Int32]?) {
        guard let candidates else {
            var total = 0
            table.natural.forEach(reversed: false) { if matches($0, in: table) { total += 1 } }
            return (total, nil)
        }
        if candidatesAreMatches { return (candidates.count, candidates) }
        let list = candidates.filter { matches($0, in: table) }
        return (list.count, list)
    }
}

/// A fixed-size set of small integers, one bit each.
struct Bitset {
    private var words: [UInt64]
    init(count: Int) { words = Array(repeating: 0, count: (count + 63) / 64) }
    mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }
    func contains(_ i: Int) -> Bool { i >> 6 < words.count && words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
}
