import Dispatch
import Glibc
import HTTPServer
import JSON
import TestSupport
import XCTest

@testable import BooksApp

/// Issue 15 §3: with a group commit held "on the disk" (its fdatasync not yet returned), nothing
/// it holds is visible, and writes that depend on it wait for it instead of acting on it.
final class DurableBeforeVisibleTests: XCTestCase {
    /// Holds the next fdatasync until `release()`.
    final class StalledDisk: @unchecked Sendable {
        private let held = DispatchSemaphore(value: 0)
        private let reached = DispatchSemaphore(value: 0)
        private let lock = NSLockish()
        private var stalled = true
        func hook() {
            guard lock.with({ stalled }) else { return }
            reached.signal()
            held.wait()
        }
        func waitUntilStalled() { XCTAssertEqual(reached.wait(timeout: .now() + 5), .success, "the write reached the disk") }
        func release() {
            lock.with { stalled = false }
            held.signal()
        }
    }

    private func title(_ store: EmbeddedStore, _ id: String) throws -> String? {
        try store.book(id: id).flatMap { try? JSONParser.parse($0) }?.objectValue?["title"]?.stringValue
    }

    func testPendingUpdateDeleteAndBookingAreInvisibleUntilDurable() throws {
        let store = try EmbeddedStore(directory: temporaryDirectory())
        let car = ResourceKind.all[0]
        try store.insertBook(book("a", "old", "X"))
        try store.insertBook(book("b", "doomed", "X"))
        try store.createResource(Resource(id: "r", name: "Car", kind: car, createdAt: 0))
        let disk = StalledDisk()
        store.journal.beforeSync = { disk.hook() }
        let group = DispatchGroup()
        let results = Results()
        DispatchQueue.global().async(group: group) {
            var patch = BookPatch()
            patch.operations = [.set("title", .string("new"))]
            results.set("update", (try? store.updateBook(id: "a", patch: patch, precondition: nil)).map { "\($0)" } ?? "error")
        }
        disk.waitUntilStalled()
        DispatchQueue.global().async(group: group) { results.set("delete", "\((try? store.deleteBook(id: "b")) ?? false)") }
        DispatchQueue.global().async(group: group) {
            let booking = Allocation(id: "first", interval: Interval(from: 0, to: 10), allocationType: "trip")
            results.set("first", "\((try? store.allocate(car, resourceID: "r", booking, at: 0)).map { "\($0)" } ?? "error")")
        }
        usleep(200_000)
        XCTAssertEqual(try title(store, "a"), "old", "a pending update is not visible")
        XCTAssertEqual(try store.listBooks(BookQuery(text: "new")).total, 0, "nor listed")
        XCTAssertNotNil(try store.book(id: "b"), "a pending delete still finds the book")
        XCTAssertEqual(try store.resource(car, id: "r")?.allocations.count, 0, "a pending booking is not shown")
        // A second booking of the same slot must not be refused on the strength of a pending one: it waits.
        DispatchQueue.global().async(group: group) {
            let booking = Allocation(id: "second", interval: Interval(from: 5, to: 15), allocationType: "trip")
            results.set("second", "\((try? store.allocate(car, resourceID: "r", booking, at: 0)).map { "\($0)" } ?? "error")")
        }
        usleep(200_000)
        XCTAssertNil(results.get("second"), "the dependent booking waits for the pending one")
        disk.release()
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(try title(store, "a"), "new")
        XCTAssertNil(try store.book(id: "b"))
        XCTAssertEqual(results.get("delete"), "true")
        let first = results.get("first"), second = results.get("second")
        XCTAssertTrue(
            [first, second].contains("created") && [first, second].contains { $0?.contains("conflict") == true }, "\(String(describing: first)) \(String(describing: second))")
    }

    func testIndependentWritersStillShareGroupCommits() throws {
        let store = try EmbeddedStore(directory: temporaryDirectory())
        let syncs = Counter()
        store.journal.beforeSync = {
            syncs.increment()
            usleep(5_000)  // a slow disk, so writers pile up behind each fsync
        }
        let group = DispatchGroup()
        for i in 0..<64 {  // 64 threads at once (concurrentPerform would run only one per core)
            group.enter()
            startThread(name: "writer") {
                try? store.insertBook(book("id\(i)", "T", "A"))
                group.leave()
            }
        }
        usleep(100_000)
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(try store.listBooks(BookQuery()).total, 64)
        XCTAssertLessThan(syncs.value, 40, "64 concurrent inserts shared fsyncs (\(syncs.value))")
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLockish()
        private var values: [String: String] = [:]
        func set(_ key: String, _ value: String) { lock.with { values[key] = value } }
        func get(_ key: String) -> String? { lock.with { values[key] } }
    }
}
