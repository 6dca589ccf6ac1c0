import JSON
import TestSupport
import XCTest

@testable import BooksApp

final class BookTableTests: XCTestCase {
    private func table() -> BookTable {
        var t = BookTable()
        t.put(book("1", "Wool", "Hugh Howey", year: 2011, score: 9, read: true))
        t.put(book("2", "Earth Abides", "George R. Stewart", year: 1949, score: 10, read: true))
        t.put(book("3", "Shift", "Hugh Howey", year: 2013, score: -1))
        t.put(book("4", "Anonymous", "Unknown"))
        return t
    }

    func testSortedPagesAndTieBreakOnID() {
        let t = table()
        XCTAssertEqual(ids(t.page(BookQuery(sort: [BookSort(field: .author, ascending: true)]))), ["2", "1", "3", "4"])
        XCTAssertEqual(ids(t.page(BookQuery(sort: [BookSort(field: .author, ascending: false)]))), ["4", "3", "1", "2"])
        // A missing year sorts first ascending, as in MongoDB.
        XCTAssertEqual(ids(t.page(BookQuery(sort: [BookSort(field: .year, ascending: true)]))), ["4", "2", "1", "3"])
        XCTAssertEqual(ids(t.page(BookQuery(skip: 1, limit: 2, sort: [BookSort(field: .title, ascending: true)]))), ["2", "3"])
        XCTAssertEqual(ids(t.page(BookQuery())), ["1", "2", "3", "4"], "no sort: insertion order")
    }

    func testFiltersCountBeforePaging() {
        let t = table()
        var q = BookQuery(skip: 1, limit: 1, sort: [BookSort(field: .year, ascending: true)])
        q.author = "Hugh Howey"
        let page = t.page(q)
        XCTAssertEqual(page.total, 2)
        XCTAssertEqual(ids(page), ["3"])
        XCTAssertEqual(ids(t.page(BookQuery(read: true))), ["1", "2"])
        XCTAssertEqual(ids(t.page(BookQuery(text: "EARTH"))), ["2"])
        XCTAssertEqual(ids(t.page(BookQuery(text: "howey"))), ["1", "3"])
        XCTAssertEqual(ids(t.page(BookQuery(yearFrom: 1950, yearTo: 2012))), ["1"], "books without a year never match a year filter")
    }

    func testUpdatesAndDeletesKeepOrdersConsistent() {
        var t = table()
        t.put(book("2", "Earth Abides", "Zed", year: 1949))
        XCTAssertEqual(ids(t.page(BookQuery(sort: [BookSort(field: .author, ascending: true)]))), ["1", "3", "4", "2"])
        XCTAssertEqual(ids(t.page(BookQuery())), ["1", "2", "3", "4"], "an update keeps its place in insertion order")
        XCTAssertTrue(t.remove(id: "1"))
        XCTAssertFalse(t.remove(id: "1"))
        for field in BookSortField.allCases {
            XCTAssertEqual(t.page(BookQuery(sort: [BookSort(field: field, ascending: true)])).items.count, 3, "\(field)")
        }
        XCTAssertEqual(t.count, 3)
    }

    func testTwoSortKeys() {
        let t = table()
        // Author ascending, then year descending: Hugh Howey's newest first.
        let page = t.page(BookQuery(sort: [BookSort(field: .author, ascending: true), BookSort(field: .year, ascending: false)]))
        XCTAssertEqual(ids(page), ["2", "3", "1", "4"])
        XCTAssertEqual(
            ids(t.page(BookQuery(skip: 1, limit: 2, sort: [BookSort(field: .read, ascending: true), BookSort(field: .score, ascending: false)]))), ["4", "2"],
            "unread (3, 4) first, then 2 (score 10) before 1 (9)")
    }

    func testStringsSortByUTF8BytesLikeMongoDB() {
        var t = BookTable()
        t.put(book("a", "é", "x"))
        t.put(book("b", "z", "x"))
        t.put(book("c", "Z", "x"))
        XCTAssertEqual(ids(t.page(BookQuery(sort: [BookSort(field: .title, ascending: true)]))), ["c", "b", "a"])
    }
}

final class SortedBlocksTests: XCTestCase {
    struct Item: Equatable { let value: Int; let serial: Int }

    func testMatchesASortedArrayThroughSplitsAndRemovals() {
        var rng = SeededGenerator(seed: 0xB10C)
        var blocks = SortedBlocks<Item>()
        var reference: [Item] = []
        let precedes = { (a: Item, b: Item) in a.value != b.value ? a.value < b.value : a.serial < b.serial }
        for step in 0..<6000 {
            if step % 3 == 2, let victim = reference.randomElement(using: &rng) {
                blocks.remove(victim, by: precedes)
                reference.removeAll { $0 == victim }
            } else {
                let item = Item(value: Int.random(in: 0..<500, using: &rng), serial: step)  // many equal keys
                blocks.insert(item, by: precedes)
                reference.append(item)
            }
        }
        reference.sort(by: precedes)
        XCTAssertEqual(blocks.count, reference.count)
        XCTAssertEqual(blocks.elements, reference)
        var backwards: [Item] = []
        blocks.forEach(reversed: true) { backwards.append($0) }
        XCTAssertEqual(backwards, reference.reversed())
        XCTAssertEqual(SortedBlocks(sorted: reference).elements, reference, "a bulk load keeps the order")
        for _ in 0..<200 {
            let start = Int.random(in: 0...reference.count, using: &rng)
            let end = min(reference.count, start + Int.random(in: 0...700, using: &rng))
            var page: [Item] = []
            blocks.forEach(in: start..<end, reversed: false) { page.append($0) }
            XCTAssertEqual(page, Array(reference[start..<end]), "\(start)..<\(end) (seed \(rng.seed))")
            var descending: [Item] = []
            blocks.forEach(in: start..<end, reversed: true) { descending.append($0) }
            XCTAssertEqual(descending, Array(Array(reference.reversed())[start..<end]), "reversed \(start)..<\(end) (seed \(rng.seed))")
        }
    }
}
