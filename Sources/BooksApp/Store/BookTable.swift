import JSON

/// The books in memory, compact and indexed so that a page costs O(log n + page), not O(n):
/// - `rows`: one `BookRow` per book (fixed keys and where its JSON lies in `json`, one arena for
///   every book's bytes), addressed by a 4-byte row number; a deleted row's number is reused;
/// - `ids`: id → row; `natural`: rows in insertion order; `orders`: one sorted index per sort field
///   (the field, then the id), kept sorted on every write, so a sorted page never sorts;
/// - secondary indexes for the exact filters (author, read, year), which count without scanning;
/// - `text`: the lowercase title and author of every book in one arena, for `q`.
/// All of it is value-typed, so a copy for a background snapshot costs nothing until the next write.
struct BookTable {
    private(set) var rows: [BookRow] = []
    private(set) var json = ByteArena()
    private var free: [Int32] = []
    private var ids = RowIDIndex()
    private(set) var natural = SortedBlocks<Int32>()
    private(set) var orders: [SortedBlocks<Int32>] = Array(repeating: SortedBlocks(), count: BookSortField.allCases.count)
    /// Row numbers, ascending, per exact value.
    private(set) var byAuthor: [[UInt8]: [Int32]] = [:]
    private(set) var byRead: [Bool: [Int32]] = [:]
    private(set) var byYear: [Int64: [Int32]] = [:]
    private(set) var text = TextArena()
    private var nextSequence: Int64 = 1
    /// Encoded size of the live books, to decide when the journal is worth compacting.
    private(set) var liveBytes = 0
    /// Two-key sorts: past this many rows, a group of equal first keys is not sorted but read off
    /// the second key's own index (a setting only so that tests reach both paths).
    var largeGroup = 4096

    var count: Int { ids.count }

    static func slot(_ field: BookSortField) -> Int { BookSortField.allCases.firstIndex(of: field)! }

    // MARK: lookups

    func row(id: String) -> Int32? {
        var id = id
        return id.withUTF8 { ids.find(ArraySlice($0), in: rows, json.bytes) }
    }

    func json(id: String) -> [UInt8]? { row(id: id).map { jsonBytes($0) } }

    func jsonBytes(_ r: Int32) -> [UInt8] { Array(json.bytes[rows[Int(r)].jsonRange]) }

    func idBytes(_ r: Int32) -> ArraySlice<UInt8> { json.bytes[rows[Int(r)].range(rows[Int(r)].id)] }

    func authorBytes(_ r: Int32) -> ArraySlice<UInt8> { json.bytes[rows[Int(r)].range(rows[Int(r)].author)] }

    /// The document, parsed back from its bytes (for PATCH, which edits a whole document).
    func document(id: String) -> JSONObject? {
        guard let bytes = json(id: id), case .object(let o)? = try? JSONParser.parse(bytes) else { return nil }
        return o
    }

    /// Live rows' JSON in insertion order.
    func forEachInInsertionOrder(_ body: (Int32) -> Void) {
        natural.forEach(reversed: false, body)
    }

    // MARK: writes

    /// Inserts, or replaces the book with the same id (keeping its place in insertion order).
    /// A document without a string id, or with a year or score outside 32 bits, is refused (false):
    /// the validator never lets one through.
    @discardableResult
    mutating func put(_ document: JSONObject) -> Bool {
        guard let book = EncodedBook(document) else { return false }
        put(book)
        return true
    }

    mutating func put(_ book: EncodedBook) {
        var row = book.row
        row.start = json.append(book.bytes)
        let idBytes = json.bytes[row.range(row.id)]
        if let r = ids.find(idBytes, in: rows, json.bytes) {
            let old = rows[Int(r)]
            unindex(r)
            retire(old)
            row.sequence = old.sequence
            rows[Int(r)] = row
            index(r)
        } else {
            row.sequence = nextSequence
            nextSequence += 1
            let r: Int32
            if let reused = free.popLast() {
                r = reused
                rows[Int(r)] = row
            } else {
                r = Int32(rows.count)
                rows.append(row)
            }
            ids.insert(r, in: rows, json.bytes)
            natural.insert(r) { [rows] in rows[Int($0)].sequence < rows[Int($1)].sequence }
            index(r)
        }
        liveBytes += Int(row.jsonCount)
        reclaimIfWorthIt()
    }

    @discardableResult
    mutating func remove(id: String) -> Bool {
        guard let r = row(id: id) else { return false }
        unindex(r)
        ids.remove(r, in: rows, json.bytes)
        natural.remove(r) { [rows] in rows[Int($0)].sequence < rows[Int($1)].sequence }
        retire(rows[Int(r)])
        rows[Int(r)] = BookRow.vacant
        free.append(r)
        reclaimIfWorthIt()
        return true
    }

    mutating func removeAll() { self = BookTable() }

    private mutating func retire(_ row: BookRow) {
        text.retire(count: row.textCount)
        json.retire(Int(row.entryCount))
        liveBytes -= Int(row.jsonCount)
    }

    /// Adds row `r` (already stored) to every sorted and secondary index, and writes its text.
    private mutating func index(_ r: Int32) {
        let row = rows[Int(r)]
        let (start, length) = text.append(title: TextArena.lowercase(json.bytes[row.range(row.title)]), author: TextArena.lowercase(json.bytes[row.range(row.author)]), row: r)
        rows[Int(r)].textStart = start
        rows[Int(r)].textCount = length
        withSortContext { rows, arena, orders in
            for field in BookSortField.allCases {
                orders[Self.slot(field)].insert(r) { BookRow.precedes(rows[Int($0)], rows[Int($1)], field, arena) }
            }
        }
        Self.insertSorted(r, into: &byAuthor[Array(json.bytes[row.range(row.author)]), default: []])
        if let read = row.readValue { Self.insertSorted(r, into: &byRead[read, default: []]) }
        if let year = row.yearValue { Self.insertSorted(r, into: &byYear[year, default: []]) }
    }

    /// Takes row `r` out of every sorted and secondary index (its text is retired by the caller).
    private mutating func unindex(_ r: Int32) {
        withSortContext { rows, arena, orders in
            for field in BookSortField.allCases {
                orders[Self.slot(field)].remove(r) { BookRow.precedes(rows[Int($0)], rows[Int($1)], field, arena) }
            }
        }
        let row = rows[Int(r)]
        let author = Array(json.bytes[row.range(row.author)])
        Self.removeSorted(r, from: &byAuthor[author, default: []])
        if byAuthor[author]?.isEmpty == true { byAuthor[author] = nil }
        if let read = row.readValue { Self.removeSorted(r, from: &byRead[read, default: []]) }
        if let year = row.yearValue {
            Self.removeSorted(r, from: &byYear[year, default: []])
            if byYear[year]?.isEmpty == true { byYear[year] = nil }
        }
    }

    /// Lends the rows and the arena (read-only) together with the sorted indexes (to change), as
    /// locals, so changing an index never copies the rows or the arena (copy-on-write).
    private mutating func withSortContext(_ body: ([BookRow], UnsafeBufferPointer<UInt8>, inout [SortedBlocks<Int32>]) -> Void) {
        let rows = self.rows, bytes = json.bytes
        var orders = self.orders
        self.orders = []
        bytes.withUnsafeBufferPointer { body(rows, $0, &orders) }
        self.orders = orders
    }

    /// Rewrites the arenas without their garbage once it outweighs the live bytes.
    private mutating func reclaimIfWorthIt() {
        if json.garbage > json.liveBytes + (1 << 20) {
            var arena = ByteArena()
            arena.reserve(json.liveBytes)
            for r in natural.elements {
                let row = rows[Int(r)]
                rows[Int(r)].start = arena.append(json.bytes[row.start..<(row.start + Int(row.entryCount))])
            }
            json = arena
        }
        if text.garbage > text.liveBytes + (1 << 20) {
            var arena = TextArena()
            for r in natural.elements {
                let row = rows[Int(r)]
                let (start, length) = arena.append(
                    title: TextArena.lowercase(json.bytes[row.range(row.title)]), author: TextArena.lowercase(json.bytes[row.range(row.author)]), row: r)
                rows[Int(r)].textStart = start
                rows[Int(r)].textCount = length
            }
            text = arena
        }
    }

    /// Sets every part at once, for the bulk builder.
    mutating func install(
        rows: [BookRow], json: ByteArena, text: TextArena, ids: RowIDIndex, natural: SortedBlocks<Int32>, orders: [SortedBlocks<Int32>],
        byAuthor: [[UInt8]: [Int32]], byRead: [Bool: [Int32]], byYear: [Int64: [Int32]], nextSequence: Int64, liveBytes: Int
    ) {
        self.rows = rows
        self.json = json
        self.text = text
        self.ids = ids
        self.natural = natural
        self.orders = orders
        self.byAuthor = byAuthor
        self.byRead = byRead
        self.byYear = byYear
        self.nextSequence = nextSequence
        self.liveBytes = liveBytes
        free = []
    }

    static func insertSorted(_ r: Int32, into list: inout [Int32]) {
        list.insert(r, at: lowerBound(r, in: list))
    }

    static func removeSorted(_ r: Int32, from list: inout [Int32]) {
        let i = lowerBound(r, in: list)
        if i < list.count, list[i] == r { list.remove(at: i) }
    }

    static func lowerBound(_ r: Int32, in list: [Int32]) -> Int {
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid] < r { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
