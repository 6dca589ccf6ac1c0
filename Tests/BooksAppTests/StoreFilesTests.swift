import Glibc
import JSON
import TestSupport
import XCTest

@testable import BooksApp

/// Issue 15 §2: every intermediate state of creation and compaction opens with nothing lost, or is
/// refused with a message; only an empty directory is a new store (StoreFiles.swift).
final class StoreFilesTests: XCTestCase {
    private func names(_ dir: String) throws -> [String] { try RealDisk().list(dir).sorted() }

    /// A store holding books a and b, compacted once (snapshot generation 1, empty journal 1), and
    /// then c written to journal 1. Returns its directory.
    private func compactedStore() throws -> String {
        let dir = temporaryDirectory()
        let store = try EmbeddedStore(directory: dir, compactMinBytes: 1 << 30)
        try store.insertBook(book("a", "A", "X"))
        try store.insertBook(book("b", "B", "X"))
        store.compactNow()
        store.waitForSnapshot()
        try store.insertBook(book("c", "C", "X"))
        return dir
    }

    private func assertBooks(_ dir: String, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try EmbeddedStore(directory: dir)
        XCTAssertFalse(store.isNew, "never taken for a new store", file: file, line: line)
        XCTAssertEqual(ids(try store.listBooks(BookQuery())).sorted(), expected, file: file, line: line)
        store.waitForSnapshot()
    }

    func testOnlyAnEmptyDirectoryIsANewStore() throws {
        let dir = temporaryDirectory()
        XCTAssertTrue(try EmbeddedStore(directory: dir).isNew)
        let other = temporaryDirectory()
        writeFile(other + "/notes.txt", Array("mine".utf8))
        XCTAssertThrowsError(try EmbeddedStore(directory: other)) { error in
            guard case .corrupt(let m)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("notes.txt") && m.contains("refusing to start a new store"), m)
        }
        XCTAssertEqual(try names(other), ["LOCK", "notes.txt"], "nothing was created or seeded over it")
    }

    func testASnapshotWithoutItsJournalIsRefusedNotReseeded() throws {
        let dir = try compactedStore()
        unlink(dir + "/books.journal")
        XCTAssertThrowsError(try EmbeddedStore(directory: dir)) { error in
            guard case .corrupt(let m)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("no books.journal"), m)
        }
    }

    func testSteadyStateAfterCompaction() throws {
        let dir = try compactedStore()
        XCTAssertEqual(try names(dir), ["LOCK", "books.journal", "books.snapshot"])
        try assertBooks(dir, ["a", "b", "c"])
    }

    func testEveryStepOfACompactionOpens() throws {
        // Step 1: the journal archived, its successor not yet created.
        var dir = try compactedStore()
        XCTAssertEqual(rename(dir + "/books.journal", dir + "/books.journal.1"), 0)
        try assertBooks(dir, ["a", "b", "c"])
        try assertBooks(dir, ["a", "b", "c"])  // and again, after the compaction that open started
        // Step 2 and 3: archived journal, new journal (with a write of its own), an unfinished snapshot.
        dir = try compactedStore()
        XCTAssertEqual(rename(dir + "/books.journal", dir + "/books.journal.1"), 0)
        var journal = Journal.header(generation: 2)
        JournalFormat.frame(StoreChange.putBook(EncodedBook(book("d", "D", "X"))!).payload, into: &journal)
        JournalFormat.frame(JournalFormat.commitPayload(startingAt: Journal.header(generation: 2).count), into: &journal)
        writeFile(dir + "/books.journal", journal)
        writeFile(dir + "/books.snapshot.tmp", Array(readFile(dir + "/books.snapshot").prefix(40)))
        try assertBooks(dir, ["a", "b", "c", "d"])
        XCTAssertFalse(try names(dir).contains("books.snapshot.tmp"), "the unfinished snapshot is removed")
        // Step 4: the new snapshot in place, the archived journal not yet deleted (stale).
        dir = try compactedStore()
        var oldJournal = JournalFormat.magic
        JournalFormat.frame(StoreChange.putBook(EncodedBook(book("zombie", "Z", "X"))!).payload, into: &oldJournal)
        JournalFormat.frame(JournalFormat.commitPayload(startingAt: 8), into: &oldJournal)
        writeFile(dir + "/books.journal.0", oldJournal)  // generation 0 < snapshot's 1: already inside it
        try assertBooks(dir, ["a", "b", "c"])
        XCTAssertFalse(try names(dir).contains("books.journal.0"), "the stale archived journal is removed")
    }

    func testAGapBetweenGenerationsIsRefused() throws {
        let dir = try compactedStore()
        XCTAssertEqual(rename(dir + "/books.journal", dir + "/books.journal.2"), 0)  // generation 1 is missing
        XCTAssertThrowsError(try EmbeddedStore(directory: dir)) { error in
            guard case .corrupt(let m)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("not the journal of generation 1"), m)
        }
    }

    func testAJournalOfTheWrongGenerationIsRefused() throws {
        let dir = try compactedStore()
        unlink(dir + "/books.snapshot")  // the journal says generation 1; without the snapshot it would be read as 0
        XCTAssertThrowsError(try EmbeddedStore(directory: dir)) { error in
            guard case .corrupt(let m)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("generation 1") && m.contains("missing"), m)
        }
    }

    func testADamagedSnapshotIsRefusedAtEveryTruncationAndBitFlip() throws {
        let dir = try compactedStore()
        let snapshot = readFile(dir + "/books.snapshot")
        var rng = SeededGenerator(seed: 0x5A95)
        var cuts = Array(0..<snapshot.count)
        cuts.shuffle(using: &rng)
        for cut in cuts.prefix(120) {
            writeFile(dir + "/books.snapshot", Array(snapshot.prefix(cut)))
            XCTAssertThrowsError(try EmbeddedStore(directory: dir), "truncated at \(cut)") { error in
                guard case .corrupt(let m)? = error as? StoreError else { return XCTFail("\(error)") }
                XCTAssertTrue(m.contains("books.snapshot"), m)
            }
        }
        for _ in 0..<120 {
            var flipped = snapshot
            let i = Int.random(in: 0..<flipped.count, using: &rng)
            flipped[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            writeFile(dir + "/books.snapshot", flipped)
            XCTAssertThrowsError(try EmbeddedStore(directory: dir), "bit flip at \(i) (seed \(rng.seed))")
        }
        writeFile(dir + "/books.snapshot", snapshot)
        try assertBooks(dir, ["a", "b", "c"])
    }

    func testAVersion1JournalIsConvertedAndKeepsItsBooks() throws {
        let dir = temporaryDirectory()
        var legacy = JournalFormat.legacyMagic
        for id in ["x", "y"] { JournalFormat.frame(StoreChange.putBook(EncodedBook(book(id, id, "X"))!).payload, into: &legacy) }
        writeFile(dir + "/books.journal", legacy)
        try assertBooks(dir, ["x", "y"])
        XCTAssertEqual(try names(dir), ["LOCK", "books.journal", "books.snapshot"])
        try assertBooks(dir, ["x", "y"])
    }
}
