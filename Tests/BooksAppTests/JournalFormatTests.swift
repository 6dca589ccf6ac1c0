import Dispatch
import Glibc
import JSON
import TestSupport
import XCTest

@testable import BooksApp

/// The journal's records on disk: torn tails, zero fill, corruption and bit flips (JournalFormat.swift, JournalRepair.swift).
final class JournalFormatTests: XCTestCase {
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
        var generator = SeededGenerator(seed: 0xF11B)
        for _ in 0..<200 {
            var damaged = full
            let i = Int.random(in: 0..<damaged.count, using: &generator)
            damaged[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            writeFile(dir + "/books.journal", damaged)
            do throws(StoreError) {
                // If it opens, only the last record can have been dropped: damage anywhere else is corruption.
                let store = try EmbeddedStore(directory: dir)
                XCTAssertNotNil(try store.book(id: "a"), "flip at \(i) (seed \(generator.seed))")
                XCTAssertNotNil(try store.book(id: "b"), "flip at \(i) (seed \(generator.seed))")
            } catch {
                guard case .corrupt = error else { return XCTFail("unexpected \(error) (seed \(generator.seed))") }
            }
        }
    }
}
