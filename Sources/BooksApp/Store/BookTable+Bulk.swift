/// Building a whole table at once (a snapshot load, a first import): rows and arenas are filled in
/// one pass, and each sorted index is either taken as given (a snapshot stores them) or sorted
/// once, by an 8-byte key prefix held next to each row number, so that most comparisons read one
/// contiguous array instead of chasing rows and arena bytes across memory.
extension BookTable {
    /// `entries` in insertion order: each row (its `start` ignored) with its arena bytes. `orders`,
    /// when given, are the sort indexes as positions in `entries`, one per `BookSortField`.
    init(bulk entries: [(BookRow, ArraySlice<UInt8>)], orders given: [[Int32]]? = nil) {
        self.init()
        var json = ByteArena()
        json.reserve(entries.reduce(0) { $0 + $1.1.count })
        var rows: [BookRow] = []
        rows.reserveCapacity(entries.count)
        var liveBytes = 0
        for (i, (row, bytes)) in entries.enumerated() {
            var row = row
            row.start = json.append(bytes)
            row.sequence = Int64(i) + 1
            liveBytes += Int(row.jsonCount)
            rows.append(row)
        }
        var text = TextArena()
        for r in rows.indices {
            let row = rows[r]
            let (start, length) = text.append(
                title: TextArena.lowercase(json.bytes[row.range(row.title)]), author: TextArena.lowercase(json.bytes[row.range(row.author)]), row: Int32(r))
            rows[r].textStart = start
            rows[r].textCount = length
        }
        let all = (0..<Int32(rows.count)).map { $0 }
        var ids = RowIDIndex(capacity: rows.count)
        for r in all { ids.insert(r, in: rows, json.bytes) }
        var byAuthor: [[UInt8]: [Int32]] = [:], byRead: [Bool: [Int32]] = [:], byYear: [Int64: [Int32]] = [:]
        for r in all {  // ascending row numbers: every list stays sorted by appending
            let row = rows[Int(r)]
            byAuthor[Array(json.bytes[row.range(row.author)]), default: []].append(r)
            if let read = row.readValue { byRead[read, default: []].append(r) }
            if let year = row.yearValue { byYear[year, default: []].append(r) }
        }
        let orders = given ?? BookSortField.allCases.map { Self.sortOnce(rows, json.bytes, by: $0) }
        self.install(
            rows: rows, json: json, text: text, ids: ids, natural: SortedBlocks(sorted: all),
            orders: orders.map { SortedBlocks(sorted: $0) }, byAuthor: byAuthor, byRead: byRead, byYear: byYear,
            nextSequence: Int64(rows.count) + 1, liveBytes: liveBytes)
    }

    /// Row numbers in the order of `field`, then id.
    static func sortOnce(_ rows: [BookRow], _ arena: [UInt8], by field: BookSortField) -> [Int32] {
        var keyed = rows.indices.map { (prefix: sortPrefix(rows[$0], field, arena), row: Int32($0)) }
        arena.withUnsafeBufferPointer { arena in
            keyed.sort { a, b in
                if a.prefix != b.prefix { return a.prefix < b.prefix }
                return BookRow.precedes(rows[Int(a.row)], rows[Int(b.row)], field, arena)
            }
        }
        return keyed.map(\.row)
    }

    /// A 64-bit key whose order agrees with the full order wherever two prefixes differ: the first
    /// 8 bytes of a string (zero-padded), or the value biased to unsigned, with the id's first bytes
    /// after it where room is left.
    static func sortPrefix(_ row: BookRow, _ field: BookSortField, _ arena: [UInt8]) -> UInt64 {
        func bytes(_ span: BlobSpan, _ count: Int) -> UInt64 {
            var v: UInt64 = 0
            let range = row.range(span)
            for i in 0..<count { v = v << 8 | UInt64(i < range.count ? arena[range.lowerBound + i] : 0) }
            return v
        }
        switch field {
        case .id: return bytes(row.id, 8)
        case .title: return bytes(row.title, 8)
        case .author: return bytes(row.author, 8)
        case .year: return UInt64(UInt32(bitPattern: row.year) ^ 0x8000_0000) << 32 | bytes(row.id, 4)
        case .score: return UInt64(UInt32(bitPattern: row.score) ^ 0x8000_0000) << 32 | bytes(row.id, 4)
        case .read: return UInt64(row.read == 2 ? 0 : row.read + 1) << 56 | bytes(row.id, 7)
        }
    }
}
