import Dispatch
import Glibc
import JSON
import XCTest

@testable import BooksApp

/// Bookings in the embedded store: small journal records (EmbeddedStore+Inventory.swift).
final class EmbeddedStoreInventoryTests: XCTestCase {
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
            store.waitForSnapshot()  // the snapshot thread holds the directory until it is written
        }
        try check(try EmbeddedStore(directory: dir))
    }
}
