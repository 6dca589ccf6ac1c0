import Glibc
import JSON

/// A byte range inside a row's entry in the table's JSON arena, relative to the entry's start.
struct BlobSpan: Equatable {
    var start: UInt32
    var count: UInt32
}

/// One stored book in compact form: where its encoded JSON lies in the table's arena (pages are
/// assembled from those bytes, never re-encoded) and the few fixed keys that sorting and filtering
/// need. A plain value of about 64 bytes with no references: no dictionary tree, no object and no
/// heap allocation per book, so copying the table for a snapshot is a memcpy.
struct BookRow {
    /// The entry in the JSON arena: the JSON, then the raw UTF-8 of id, title or author when
    /// escaping made it differ from the bytes inside the JSON (quotes, backslashes, control characters).
    var start: Int
    var entryCount: UInt32
    var jsonCount: UInt32
    var id: BlobSpan
    var title: BlobSpan
    var author: BlobSpan
    /// Insertion order; an update keeps it.
    var sequence: Int64
    /// Where this book's lowercase text lies in the table's `TextArena`.
    var textStart: UInt32 = 0
    var textCount: UInt32 = 0
    /// `year` and `score` as stored (validated books hold small integers); `Self.none` when absent,
    /// which sorts first ascending, as in MongoDB.
    var year: Int32
    var score: Int32
    /// 0 false, 1 true, 2 absent.
    var read: UInt8

    static let none = Int32.min
    var isVacant: Bool { entryCount == 0 }

    /// Encodes `document` as `JSONWriter.writeObject` would, noting where the key strings landed.
    /// nil when the document has no string id or a key field out of the stored range.
    static func encode(_ document: JSONObject, sequence: Int64) -> (BookRow, [UInt8])? {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var spans: [String: BlobSpan] = [:]
        var raw: [(String, String)] = []
        for (i, field) in document.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(field.key, into: &out)
            out.append(UInt8(ascii: ":"))
            let start = out.count
            JSONWriter.write(field.value, into: &out)
            guard keyFields.contains(field.key), spans[field.key] == nil, case .string(let s) = field.value else { continue }
            let inner = (start + 1)..<(out.count - 1)
            if inner.count == s.utf8.count {
                spans[field.key] = BlobSpan(start: UInt32(inner.lowerBound), count: UInt32(inner.count))  // no escapes: the bytes are verbatim
            } else {
                raw.append((field.key, s))
            }
        }
        out.append(UInt8(ascii: "}"))
        let jsonCount = UInt32(out.count)
        for (key, s) in raw {
            spans[key] = BlobSpan(start: UInt32(out.count), count: UInt32(s.utf8.count))
            out.append(contentsOf: s.utf8)
        }
        guard let id = spans["id"] else { return nil }
        let empty = BlobSpan(start: 0, count: 0)
        var row = BookRow(
            start: 0, entryCount: UInt32(out.count), jsonCount: jsonCount, id: id, title: spans["title"] ?? empty,
            author: spans["author"] ?? empty, sequence: sequence, year: none, score: none, read: 2)
        if let year = document["year"].flatMap(FieldRules.integer) {
            guard let y = Int32(exactly: year), y != none else { return nil }
            row.year = y
        }
        if let score = document["score"].flatMap(FieldRules.integer) {
            guard let s = Int32(exactly: score), s != none else { return nil }
            row.score = s
        }
        if case .bool(let b)? = document["read"] { row.read = b ? 1 : 0 }
        return (row, out)
    }

    private static let keyFields: Set<String> = ["id", "title", "author"]

    /// A free row slot.
    static let vacant = BookRow(
        start: 0, entryCount: 0, jsonCount: 0, id: BlobSpan(start: 0, count: 0), title: BlobSpan(start: 0, count: 0),
        author: BlobSpan(start: 0, count: 0), sequence: 0, year: none, score: none, read: 2)

    func range(_ span: BlobSpan) -> Range<Int> { (start + Int(span.start))..<(start + Int(span.start) + Int(span.count)) }
    var jsonRange: Range<Int> { start..<(start + Int(jsonCount)) }
    var readValue: Bool? { read == 2 ? nil : read == 1 }
    var yearValue: Int64? { year == Self.none ? nil : Int64(year) }

    // MARK: order

    /// -1, 0 or 1 on one sort field alone, as MongoDB orders these values (strings by UTF-8 bytes,
    /// a missing value first, false before true). `arena` holds both rows' bytes.
    static func compare(_ a: BookRow, _ b: BookRow, _ field: BookSortField, _ arena: UnsafeBufferPointer<UInt8>) -> Int {
        switch field {
        case .id: return compareBytes(arena, a.range(a.id), b.range(b.id))
        case .title: return compareBytes(arena, a.range(a.title), b.range(b.title))
        case .author: return compareBytes(arena, a.range(a.author), b.range(b.author))
        case .year: return a.year == b.year ? 0 : (a.year < b.year ? -1 : 1)  // `none` is Int32.min: first
        case .score: return a.score == b.score ? 0 : (a.score < b.score ? -1 : 1)
        case .read: return a.read == b.read ? 0 : (Self.readRank(a.read) < Self.readRank(b.read) ? -1 : 1)
        }
    }

    private static func readRank(_ r: UInt8) -> UInt8 { r == 2 ? 0 : r + 1 }

    /// The order of one sorted index: the field, then the id.
    static func precedes(_ a: BookRow, _ b: BookRow, _ field: BookSortField, _ arena: UnsafeBufferPointer<UInt8>) -> Bool {
        let c = compare(a, b, field, arena)
        return c != 0 ? c < 0 : compareBytes(arena, a.range(a.id), b.range(b.id)) < 0
    }

    static func compareBytes(_ arena: UnsafeBufferPointer<UInt8>, _ x: Range<Int>, _ y: Range<Int>) -> Int {
        let n = min(x.count, y.count)
        if n > 0 {
            let c = memcmp(arena.baseAddress! + x.lowerBound, arena.baseAddress! + y.lowerBound, n)
            if c != 0 { return c < 0 ? -1 : 1 }
        }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }
}

/// A book encoded once, when a writer decides on it: the journal record, the size check and the
/// table all use these same bytes.
struct EncodedBook {
    let id: String
    let document: JSONObject
    let row: BookRow
    /// The JSON, then any raw key strings (see `BookRow`).
    let bytes: [UInt8]

    var json: ArraySlice<UInt8> { bytes[0..<Int(row.jsonCount)] }

    /// nil when the document has no string id, or a year or score outside 32 bits (the validator
    /// lets neither through).
    init?(_ document: JSONObject) {
        guard case .string(let id)? = document["id"], let (row, bytes) = BookRow.encode(document, sequence: 0) else { return nil }
        self.id = id
        self.document = document
        self.row = row
        self.bytes = bytes
    }
}

/// Byte strings appended back to back; a replaced or deleted entry stays as garbage until the
/// owner rewrites the arena without it.
struct ByteArena {
    private(set) var bytes: [UInt8] = []
    private(set) var garbage = 0

    var liveBytes: Int { bytes.count - garbage }

    mutating func append(_ entry: [UInt8]) -> Int {
        let start = bytes.count
        bytes.append(contentsOf: entry)
        return start
    }

    mutating func append(_ entry: ArraySlice<UInt8>) -> Int {
        let start = bytes.count
        bytes.append(contentsOf: entry)
        return start
    }

    mutating func retire(_ count: Int) { garbage += count }

    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }
}
