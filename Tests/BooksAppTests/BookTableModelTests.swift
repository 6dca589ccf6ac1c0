import JSON
import TestSupport
import XCTest

@testable import BooksApp

/// The indexed table against the simplest model of the same contract: filter a list, sort it
/// with one comparator, slice it. Thousands of seeded random queries over a table that went
/// through inserts, updates and deletes must give the same totals and the same pages.
final class BookTableModelTests: XCTestCase {
    /// The contract, spelled out naively: documents in insertion order.
    struct Model {
        var books: [JSONObject] = []

        mutating func put(_ book: JSONObject) {
            if let i = books.firstIndex(where: { $0["id"] == book["id"] }) { books[i] = book } else { books.append(book) }
        }

        mutating func remove(_ id: String) { books.removeAll { $0["id"] == .string(id) } }

        func page(_ q: BookQuery) -> BookPage {
            let matches = books.filter { b in
                if let author = q.author, b["author"]?.stringValue.map({ Array($0.utf8) }) != Array(author.utf8) { return false }
                if let read = q.read, b["read"] != .bool(read) { return false }
                if q.yearFrom != nil || q.yearTo != nil {
                    guard case .int(let y)? = b["year"] else { return false }
                    if let from = q.yearFrom, y < from { return false }
                    if let to = q.yearTo, y > to { return false }
                }
                if let text = q.text?.lowercased() {
                    let title = b["title"]!.stringValue!.lowercased(), author = b["author"]!.stringValue!.lowercased()
                    if !Self.contains(Array(title.utf8), Array(text.utf8)), !Self.contains(Array(author.utf8), Array(text.utf8)) { return false }
                }
                return true
            }
            // Each book's keys, computed once per query (the comparisons below only read them).
            let keyed = matches.map { b in (b, BookSortField.allCases.map { Self.rank(b[$0.rawValue]) }) }
            func compare(_ a: [Rank], _ b: [Rank], _ field: BookSortField) -> Int {
                let x = a[BookTable.slot(field)], y = b[BookTable.slot(field)]
                if x.kind != y.kind { return x.kind < y.kind ? -1 : 1 }
                if x.number != y.number { return x.number < y.number ? -1 : 1 }
                if x.bytes != y.bytes { return x.bytes.lexicographicallyPrecedes(y.bytes) ? -1 : 1 }
                return 0
            }
            var sorted = keyed
            if q.sort.count == 1 {
                let s = q.sort[0]
                sorted.sort { a, b in  // the field, then the id; descending is the mirror image
                    let c = compare(a.1, b.1, s.field)
                    return c != 0 ? c < 0 : compare(a.1, b.1, .id) < 0
                }
                if !s.ascending { sorted.reverse() }
            } else if q.sort.count == 2 {
                sorted.sort { a, b in
                    for s in q.sort {
                        let c = compare(a.1, b.1, s.field)
                        if c != 0 { return s.ascending ? c < 0 : c > 0 }
                    }
                    return compare(a.1, b.1, .id) < 0
                }
            }
            let ordered = sorted.map(\.0)
            let start = min(q.skip, ordered.count), end = min(ordered.count, start + q.limit)
            return BookPage(total: matches.count, items: ordered[start..<end].map { JSONWriter.encode(.object($0)) })
        }

        static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
            guard needle.count <= hay.count else { return false }
            return (0...(hay.count - needle.count)).contains { hay[$0..<($0 + needle.count)].elementsEqual(needle) }
        }

        struct Rank { var kind: Int; var number: Int64; var bytes: [UInt8] }

        /// MongoDB's order for these fields: missing first, numbers, strings by bytes, false < true.
        static func rank(_ v: JSONValue?) -> Rank {
            switch v {
            case .int(let i)?: return Rank(kind: 1, number: i, bytes: [])
            case .string(let s)?: return Rank(kind: 2, number: 0, bytes: Array(s.utf8))
            case .bool(let b)?: return Rank(kind: 3, number: b ? 1 : 0, bytes: [])
            default: return Rank(kind: 0, number: 0, bytes: [])
            }
        }
    }

    static let words = ["winter", "Night", "sea", "STAR", "Éclair", "straße", "\"quoted\"", "back\\slash", "a", "the", "Zeta", "ümlaut"]
    static let authors = ["Ann Lee", "Bo", "Zoë Quinn", "ann lee", "Émile \"E\" Zola", "Bo2"]

    func randomBook(_ id: String, _ rng: inout SeededGenerator) -> JSONObject {
        let title = (0..<Int.random(in: 1...4, using: &rng)).map { _ in Self.words.randomElement(using: &rng)! }.joined(separator: " ")
        let year: Int64? = Bool.random(using: &rng) && Int.random(in: 0..<5, using: &rng) == 0 ? nil : Int64.random(in: 1990...2000, using: &rng)
        var b = book(id, title, Self.authors.randomElement(using: &rng)!, year: year, score: Int64.random(in: -1...10, using: &rng), read: Bool.random(using: &rng))
        if Int.random(in: 0..<4, using: &rng) == 0 { b["extra"] = .string("x") }
        return b
    }

    func randomQuery(_ rng: inout SeededGenerator, size: Int) -> BookQuery {
        var q = BookQuery(skip: Int.random(in: 0...(size + 5), using: &rng) / (Bool.random(using: &rng) ? 1 : 8), limit: Int.random(in: 1...20, using: &rng))
        let fields = BookSortField.allCases
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            q.sort.append(BookSort(field: fields.randomElement(using: &rng)!, ascending: Bool.random(using: &rng)))
        }
        if Int.random(in: 0..<3, using: &rng) == 0 { q.author = Self.authors.randomElement(using: &rng)! }
        if Int.random(in: 0..<4, using: &rng) == 0 { q.read = Bool.random(using: &rng) }
        if Int.random(in: 0..<4, using: &rng) == 0 { q.yearFrom = Int64.random(in: 1989...2001, using: &rng) }
        if Int.random(in: 0..<4, using: &rng) == 0 { q.yearTo = Int64.random(in: 1989...2001, using: &rng) }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            let word = Self.words.randomElement(using: &rng)!
            let cut = word.index(word.startIndex, offsetBy: Int.random(in: 0..<word.count, using: &rng))
            q.text = Bool.random(using: &rng) ? String(word[cut...]).uppercased() : String(word[cut...]) + (Bool.random(using: &rng) ? "" : "zz")
        }
        return q
    }

    func testRandomQueriesMatchTheModel() {
        var rng = SeededGenerator(seed: 0x5CA1E)
        for size in [0, 1, 40, 500, 1500] {
            var table = BookTable()
            var model = Model()
            var live: [String] = []
            for i in 0..<(size + size / 3) {
                if i >= size, let victim = live.randomElement(using: &rng) {
                    if Bool.random(using: &rng) {  // update in place
                        let b = randomBook(victim, &rng)
                        table.put(b)
                        model.put(b)
                    } else {
                        XCTAssertTrue(table.remove(id: victim))
                        model.remove(victim)
                        live.removeAll { $0 == victim }
                    }
                    continue
                }
                let id = String(Int.random(in: 0..<1_000_000, using: &rng), radix: 36)
                guard !live.contains(id) else { continue }
                let b = randomBook(id, &rng)
                table.put(b)
                model.put(b)
                live.append(id)
            }
            XCTAssertEqual(table.count, model.books.count)
            for n in 0..<600 {
                table.largeGroup = n % 2 == 0 ? 4096 : 3  // both ways of ordering a group of a two-key sort
                let q = randomQuery(&rng, size: size)
                let got = table.page(q), want = model.page(q)
                XCTAssertEqual(got.total, want.total, "total of \(q) (size \(size), query \(n), seed \(rng.seed))")
                XCTAssertEqual(
                    got.items.map { String(decoding: $0, as: UTF8.self) }, want.items.map { String(decoding: $0, as: UTF8.self) },
                    "page of \(q) (size \(size), query \(n), seed \(rng.seed))")
                if got.total != want.total || got.items != want.items { return }
            }
        }
    }

    /// Walking every page by cursor gives exactly the model's order, for random filters and sorts.
    func testKeysetWalksMatchTheModel() {
        var rng = SeededGenerator(seed: 0xCA55)
        var table = BookTable()
        var model = Model()
        for i in 0..<600 {
            let b = randomBook(String(i * 7919 % 1000), &rng)
            table.put(b)
            model.put(b)
        }
        for n in 0..<150 {
            var q = randomQuery(&rng, size: 600)
            q.sort = Array(q.sort.prefix(1))
            q.skip = 0
            q.keyset = true
            let limit = q.limit
            var full = q
            full.keyset = false
            full.limit = 10_000
            let want = model.page(full)
            var got: [[UInt8]] = []
            var pages = 0
            while true {
                let page = table.page(q)
                XCTAssertEqual(page.total, want.total, "query \(n) (seed \(rng.seed))")
                got += page.items
                pages += 1
                guard let next = page.next, pages < 1000 else { break }
                XCTAssertEqual(page.items.count, limit)
                q.after = try? PageCursor(token: next.token, sort: q.sort.first)  // through the token, as a client would
            }
            XCTAssertEqual(
                got.map { String(decoding: $0, as: UTF8.self) }, want.items.map { String(decoding: $0, as: UTF8.self) }, "keyset walk of \(q) (query \(n), seed \(rng.seed))")
        }
    }

    func testEscapedKeyStringsSortByTheirRawBytes() {
        var t = BookTable()
        t.put(book("b\"1", "x", "q\\uote"))
        t.put(book("a", "x", "q"))
        XCTAssertEqual(ids(t.page(BookQuery(sort: [BookSort(field: .author, ascending: true)]))), ["a", "b\"1"])
        XCTAssertEqual(t.json(id: "b\"1").map { String(decoding: $0, as: UTF8.self) }, #"{"id":"b\"1","title":"x","author":"q\\uote","score":-1,"read":false}"#)
        var q = BookQuery()
        q.author = "q\\uote"
        XCTAssertEqual(ids(t.page(q)), ["b\"1"], "an exact author compares raw bytes, not the escaped JSON")
    }

    func testTextArenaReclaimsGarbageAndStillFinds() {
        var t = BookTable()
        for round in 0..<40 {
            for i in 0..<500 { t.put(book(String(i), "title \(round) winter \(String(repeating: "x", count: 60))", "a")) }
        }
        XCTAssertLessThan(t.text.garbage, t.text.liveBytes + (1 << 20) + 1, "old text entries are reclaimed")
        var q = BookQuery(limit: 1000)
        q.text = "39 WINTER"
        XCTAssertEqual(t.page(q).total, 500)
        q.text = "38 winter"
        XCTAssertEqual(t.page(q).total, 0, "replaced text no longer matches")
    }
}
