import Dispatch
import Glibc
import JSON
import XCTest

@testable import BooksApp

/// The journal under the embedded store: durability, preconditions, compaction, group commit (Journal.swift).
final class JournalTests: XCTestCase {
    func testWritesSurviveReopen() throws {
        let dir = temporaryDirectory()
        do {
            let store = try EmbeddedStore(directory: dir)
            XCTAssertTrue(store.isNew)
            try store.insertBook(book("a", "A", "X"))
            try store.insertBook(book("b", "B", "Y"))
            var patch = BookPatch()
            patch.operations = [.set("title", .string("A2")), .remove("year")]
            XCTAssertEqual(try store.updateBook(id: "a", patch: patch, precondition: nil), .updated(Array(#"{"id":"a","title":"A2","author":"X","score":-1,"read":false}"#.utf8)))
            XCTAssertTrue(try store.deleteBook(id: "b"))
        }
        let reopened = try EmbeddedStore(directory: dir)
        XCTAssertFalse(reopened.isNew)
        XCTAssertEqual(try reopened.book(id: "a").map { String(decoding: $0, as: UTF8.self) }, #"{"id":"a","title":"A2","author":"X","score":-1,"read":false}"#)
        XCTAssertNil(try reopened.book(id: "b"))
    }

    func testDuplicateInsertAndPrecondition() throws {
        let store = try EmbeddedStore(directory: temporaryDirectory())
        try store.insertBook(book("a", "A", "X"))
        XCTAssertThrowsError(try store.insertBook(book("a", "A", "X"))) { XCTAssertEqual($0 as? StoreError, .duplicateID("a")) }
        var patch = BookPatch()
        patch.operations = [.set("title", .string("B"))]
        XCTAssertEqual(try store.updateBook(id: "a", patch: patch, precondition: { _ in false }), .preconditionFailed)
        XCTAssertEqual(try store.updateBook(id: "zz", patch: patch, precondition: nil), .notFound)
    }

    func testCompactionKeepsLiveDataAndShrinks() throws {
        let dir = temporaryDirectory()
        do {
            let store = try EmbeddedStore(directory: dir, compactMinBytes: 4096)
            try store.insertBook(book("keep", "K", "X"))
            var patch = BookPatch()
            for i in 0..<300 {
                patch.operations = [.set("title", .string("title \(i)"))]
                _ = try store.updateBook(id: "keep", patch: patch, precondition: nil)
            }
            XCTAssertLessThan(readFile(dir + "/books.journal").count, 4096 + 200, "the journal was compacted")
            store.waitForSnapshot()  // compaction writes its snapshot on a background thread, which holds the directory
        }
        let reopened = try EmbeddedStore(directory: dir)
        XCTAssertEqual(try reopened.book(id: "keep").flatMap { try? JSONParser.parse($0) }?.objectValue?["title"], .string("title 299"))
    }

    func testConcurrentWritersAllDurable() throws {
        let dir = temporaryDirectory()
        do {
            let store = try EmbeddedStore(directory: dir)
            let failures = Counter()
            DispatchQueue.concurrentPerform(iterations: 200) { i in
                do { try store.insertBook(book("id\(i)", "T\(i)", "A")) } catch { failures.increment() }
            }
            XCTAssertEqual(failures.value, 0)
        }
        let reopened = try EmbeddedStore(directory: dir)
        XCTAssertEqual(try reopened.listBooks(BookQuery(limit: 1000)).total, 200)
    }
}
