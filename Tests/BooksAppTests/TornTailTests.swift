import Glibc
import JSON
import TestSupport
import XCTest

@testable import BooksApp

/// Issue 15 §1: a torn final group commit heals itself on open; damage before the final group is
/// media corruption and is refused (JournalFormat.scan).
///
/// The bound: only the final write can be torn, because the commit thread fdatasyncs each group
/// before it writes the next. The final group starts right after the last commit record that is
/// followed by nothing but that group, so damage at or after that offset is cut, and damage before
/// it (anything that a later commit follows) is refused.
final class TornTailTests: XCTestCase {
    /// Three groups (a, b, c); returns the directory, the file, and where the b and c groups start.
    private func threeGroups() throws -> (String, [UInt8], Int, Int) {
        let dir = temporaryDirectory()
        let store = try EmbeddedStore(directory: dir)
        try store.insertBook(book("a", "A", "X"))
        let bStart = readFile(dir + "/books.journal").count
        try store.insertBook(book("b", "B", "X"))
        let cStart = readFile(dir + "/books.journal").count
        try store.insertBook(book("c", "C", "X"))
        return (dir, readFile(dir + "/books.journal"), bStart, cStart)
    }

    private func open(_ dir: String, _ bytes: [UInt8]) throws -> EmbeddedStore {
        writeFile(dir + "/books.journal", bytes)
        return try EmbeddedStore(directory: dir)
    }

    func testFinalGroupWithItsFirstHalfZeroedIsCutAndKept() throws {
        let (dir, full, _, cStart) = try threeGroups()
        var torn = full
        let half = cStart + (full.count - cStart) / 2
        for i in cStart..<half { torn[i] = 0 }  // the power cut kept the second half, commit record included
        let store = try open(dir, torn)
        XCTAssertNotNil(try store.book(id: "b"))
        XCTAssertNil(try store.book(id: "c"), "the torn group is dropped whole")
        XCTAssertEqual(readFile(dir + "/books.journal").count, cStart, "cut where the final group began")
        XCTAssertEqual(readFile(dir + "/books.journal.torn-\(cStart)"), Array(torn[cStart...]), "the cut bytes are kept")
        XCTAssertTrue(store.openNotes.contains { $0.contains("torn tail at bytes \(cStart)..<\(full.count)") }, "\(store.openNotes)")
    }

    func testDamageInAnEarlierGroupIsCorruption() throws {
        let (dir, full, bStart, cStart) = try threeGroups()
        var damaged = full
        for i in bStart..<(bStart + (cStart - bStart) / 2) { damaged[i] = 0 }  // b's group: c's commit follows it
        XCTAssertThrowsError(try open(dir, damaged)) { error in
            guard case .corrupt(let m)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("damaged at byte \(bStart)") && m.contains("BooksAPI repair"), m)
        }
    }

    func testBothSidesOfTheBound() throws {
        let (dir, full, _, cStart) = try threeGroups()
        var inside = full
        inside[cStart] ^= 0xFF  // the final group's first byte: inside the bound
        XCTAssertNil(try open(dir, inside).book(id: "c"))
        XCTAssertNotNil(try EmbeddedStore(directory: dir).book(id: "b"))
        var before = full
        before[cStart - 1] ^= 0xFF  // the last byte of b's commit record: just outside
        XCTAssertThrowsError(try open(dir, before)) { error in
            guard case .corrupt? = error as? StoreError else { return XCTFail("\(error)") }
        }
    }

    func testAFinalGroupWithoutItsCommitIsDropped() throws {
        let (dir, full, _, cStart) = try threeGroups()
        let store = try open(dir, Array(full.dropLast(8)))  // the commit record cut short
        XCTAssertNil(try store.book(id: "c"))
        XCTAssertEqual(readFile(dir + "/books.journal").count, cStart)
    }
}
