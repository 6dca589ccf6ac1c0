@testable import BooksApp
import Dispatch
import Glibc
import JSON
import XCTest

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

    func testSecondProcessOnSameDirectoryIsRefused() throws {
        let dir = temporaryDirectory()
        let first = try EmbeddedStore(directory: dir)
        XCTAssertThrowsError(try EmbeddedStore(directory: dir)) { error in
            guard case .unavailable(let message)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("in use by another BooksAPI process"), message)
        }
        withExtendedLifetime(first) {}
    }

    /// Builds a journal of three records and returns (directory, file bytes, offset where the last record starts).
    private func threeRecordJournal() throws -> (String, [UInt8], Int) {
        let dir = temporaryDirectory()
        do {
            let store = try EmbeddedStore(directory: dir)
            try store.insertBook(book("a", "A", "X"))
            try store.insertBook(book("b", "B", "X"))
        }
        let lastStart = readFile(dir + "/books.journal").count
        do {
            let store = try EmbeddedStore(directory: dir)
            try store.insertBook(book("c", "C", "X"))
        }
        return (dir, readFile(dir + "/books.journal"), lastStart)
    }

    func testTornTailAtEveryOffsetIsDropped() throws {
        let (dir, full, lastStart) = try threeRecordJournal()
        for cut in lastStart..<full.count {
            writeFile(dir + "/books.journal", Array(full[0..<cut]))
            let store = try EmbeddedStore(directory: dir)
            XCTAssertNotNil(try store.book(id: "b"), "cut at \(cut)")
            XCTAssertNil(try store.book(id: "c"), "cut at \(cut): a torn record must not appear")
            XCTAssertEqual(readFile(dir + "/books.journal").count, lastStart, "the torn tail is cut off on open")
        }
    }

    func testZeroFilledTailIsTorn() throws {
        let (dir, full, lastStart) = try threeRecordJournal()
        writeFile(dir + "/books.journal", Array(full[0..<lastStart]) + [UInt8](repeating: 0, count: 4096))
        let store = try EmbeddedStore(directory: dir)
        XCTAssertNil(try store.book(id: "c"))
        XCTAssertNotNil(try store.book(id: "b"))
    }

    func testCorruptionInTheMiddleStopsOpeningUntilRepaired() throws {
        let (dir, full, _) = try threeRecordJournal()
        var damaged = full
        damaged[JournalFormat.headerSize + 12] ^= 0x40  // inside the first record's payload
        writeFile(dir + "/books.journal", damaged)
        XCTAssertThrowsError(try EmbeddedStore(directory: dir)) { error in
            guard case .corrupt(let message)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("damaged at byte 8"), message)
            XCTAssertTrue(message.contains("BooksAPI repair"), message)
        }
        let report = try EmbeddedStore.repair(directory: dir)
        XCTAssertTrue(report.contains("damaged journal is saved as"), report)
        let store = try EmbeddedStore(directory: dir)
        XCTAssertNil(try store.book(id: "a"))
    }

    func testDamagedLengthInTheMiddleIsCorruptionNotATornTail() throws {
        let (dir, full, _) = try threeRecordJournal()
        var damaged = full
        damaged[JournalFormat.headerSize + 2] = 0x7F  // the first record's length now runs past the end
        writeFile(dir + "/books.journal", damaged)
        XCTAssertThrowsError(try EmbeddedStore(directory: dir)) { error in
            guard case .corrupt? = error as? StoreError else { return XCTFail("\(error)") }
        }
    }

    func testRandomBitFlipsNeverCrashOpening() throws {
        let (dir, full, _) = try threeRecordJournal()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var damaged = full
            let i = Int.random(in: 0..<damaged.count, using: &generator)
            damaged[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            writeFile(dir + "/books.journal", damaged)
            do throws(StoreError) {
                // If it opens, only the last record can have been dropped: damage anywhere else is corruption.
                let store = try EmbeddedStore(directory: dir)
                XCTAssertNotNil(try store.book(id: "a"), "flip at \(i)")
                XCTAssertNotNil(try store.book(id: "b"), "flip at \(i)")
            } catch {
                guard case .corrupt = error else { return XCTFail("unexpected \(error)") }
            }
        }
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

final class Counter: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLockish()
    private var count = 0
    func increment() { lock.with { count += 1 } }
    var value: Int { lock.with { count } }
}

/// A tiny mutex for tests, without Foundation.
final class NSLockish: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func with<T>(_ body: () -> T) -> T { pthread_mutex_lock(&mutex); defer { pthread_mutex_unlock(&mutex) }; return body() }
}

final class AllocationJournalTests: XCTestCase {
    private func allocation(_ id: String, _ from: Int64, _ to: Int64) -> Allocation {
        Allocation(id: id, interval: Interval(from: from, to: to), allocationType: "hire", description: nil, data: JSONObject([JSONField("k", .int(1))]))
    }

    func testBookingsAreSmallRecordsThatSurviveReopenAndCompaction() throws {
        let dir = temporaryDirectory()
        let car = ResourceKind.all[0]
        do {
            let store = try EmbeddedStore(directory: dir, compactMinBytes: 1 << 30)  // no compaction yet
            try store.createResource(Resource(id: "r", name: "Car", kind: car, createdAt: 0))
            for i in 0..<200 { XCTAssertEqual(try store.allocate(car, resourceID: "r", allocation(String(i), Int64(i) * 10, Int64(i) * 10 + 10)), .created) }
            let before = store.journal.currentSize
            XCTAssertEqual(try store.allocate(car, resourceID: "r", allocation("late", 5_000, 5_010)), .created)
            XCTAssertLessThan(store.journal.currentSize - before, 300, "a booking journals itself, not the resource's 200 allocations")
            XCTAssertEqual(try store.deleteAllocation(car, resourceID: "r", allocationID: "7"), true)
            XCTAssertEqual(try store.deleteAllocation(car, resourceID: "r", allocationID: "7"), false)
            if case .conflict(let c) = try store.allocate(car, resourceID: "r", allocation("x", 15, 25)) { XCTAssertEqual(c.map(\.id), ["1", "2"]) } else { XCTFail() }
        }
        let check = { (store: EmbeddedStore) throws in
            let resource = try XCTUnwrap(try store.resource(car, id: "r"))
            XCTAssertEqual(resource.allocations.count, 200)
            XCTAssertFalse(resource.allocations.contains { $0.id == "7" })
            XCTAssertEqual(resource.allocations.map(\.interval.from), resource.allocations.map(\.interval.from).sorted())
            XCTAssertEqual(resource.allocations.last?.id, "late")
            XCTAssertEqual(resource.allocations.first?.data, JSONObject([JSONField("k", .int(1))]))
        }
        try check(try EmbeddedStore(directory: dir, compactMinBytes: 1 << 30))
        do {
            // Renames rewrite the whole resource, so the journal outgrows twice the live data and compacts.
            let store = try EmbeddedStore(directory: dir, compactMinBytes: 0)
            var sizes: [Int] = [store.journal.currentSize]
            for i in 0..<4 {
                _ = try store.renameResource(car, id: "r", name: "Car \(i)")
                sizes.append(store.journal.currentSize)
            }
            XCTAssertTrue(zip(sizes, sizes.dropFirst()).contains { $0 > $1 }, "compaction ran: \(sizes)")
            try check(store)
        }
        try check(try EmbeddedStore(directory: dir))
    }
}
