import Dispatch
import Glibc
import JSON
import TestSupport
import XCTest

@testable import BooksApp

/// Bookings in the embedded store: small journal records (EmbeddedStore+Inventory.swift).
final class EmbeddedStoreInventoryTests: XCTestCase {
    private func allocation(_ id: String, _ from: Int64, _ to: Int64) -> Allocation {
        Allocation(id: id, interval: Interval(from: from, to: to), allocationType: "hire", description: nil, data: JSONObject([JSONField("k", .int(1))]))
    }

    /// GET /availability's paging over several kinds against a reference model: for random kinds,
    /// windows, skips and limits, each page is the slice of (kinds in order, then name, then id)
    /// and each row's busy list is exactly the allocations overlapping the window.
    func testFreeBusyPagesMatchAReferenceModel() throws {
        var random = SeededGenerator(seed: 17)
        let store = try EmbeddedStore(directory: temporaryDirectory(), compactMinBytes: 1 << 30)
        var reference: [ResourceKind: [(id: String, name: String, intervals: [(String, Interval)])]] = [:]
        for kind in ResourceKind.all {
            for r in 0..<Int.random(in: 0...12, using: &random) {
                let id = "\(kind.type)-\(r)", name = "n\(Int.random(in: 0...5, using: &random))"
                try store.createResource(Resource(id: id, name: name, kind: kind, createdAt: 0))
                var intervals: [(String, Interval)] = []
                for slot in 0..<Int.random(in: 0...6, using: &random) where Bool.random(using: &random) {
                    let a = allocation("\(id)-\(slot)", Int64(slot) * 100, Int64(slot) * 100 + Int64.random(in: 1...100, using: &random))
                    XCTAssertEqual(try store.allocate(kind, resourceID: id, a, at: 0), .created)
                    intervals.append((a.id, a.interval))
                }
                reference[kind, default: []].append((id, name, intervals))
            }
        }
        for round in 0..<300 {
            let kinds = ResourceKind.all.filter { _ in Bool.random(using: &random) }
            let window = Interval(from: Int64.random(in: -50...650, using: &random), to: Int64.random(in: -50...700, using: &random))
            let skip = Int.random(in: 0...40, using: &random), limit = Int.random(in: 0...15, using: &random)
            let expected = kinds.flatMap { kind in
                (reference[kind] ?? []).sorted { ($0.name, $0.id) < ($1.name, $1.id) }.map { r in
                    (r.id, r.intervals.filter { $0.1.overlaps(window) }.map(\.0))
                }
            }
            let page = try store.freeBusy(kinds, window: window, skip: skip, limit: limit, after: nil, at: 0)
            XCTAssertEqual(page.total, expected.count, "seed 17, round \(round)")
            let slice = expected.dropFirst(skip).prefix(limit)
            XCTAssertEqual(page.rows.map(\.resource.id), slice.map(\.0), "seed 17, round \(round)")
            XCTAssertEqual(page.rows.map { $0.busy.map(\.id) }, slice.map(\.1), "seed 17, round \(round)")
            // The same list walked by cursor, pages of `limit` (at least 1).
            var walked: [String] = []
            var cursor: FleetCursor?
            for _ in 0..<1000 {
                let step = try store.freeBusy(kinds, window: window, skip: 0, limit: max(limit, 1), after: cursor, at: 0)
                XCTAssertEqual(step.total, expected.count)
                walked += step.rows.map(\.resource.id)
                guard step.rows.count == max(limit, 1), let last = step.rows.last?.resource else { break }
                cursor = FleetCursor(kind: last.kind, name: last.name, id: last.id)
            }
            XCTAssertEqual(walked, expected.map(\.0), "seed 17, round \(round): the cursor walk")
        }
    }

    func testBookingsAreSmallRecordsThatSurviveReopenAndCompaction() throws {
        let dir = temporaryDirectory()
        let car = ResourceKind.all[0]
        do {
            let store = try EmbeddedStore(directory: dir, compactMinBytes: 1 << 30)  // no compaction yet
            try store.createResource(Resource(id: "r", name: "Car", kind: car, createdAt: 0))
            for i in 0..<200 { XCTAssertEqual(try store.allocate(car, resourceID: "r", allocation(String(i), Int64(i) * 10, Int64(i) * 10 + 10), at: 0), .created) }
            let before = store.journal.currentSize
            XCTAssertEqual(try store.allocate(car, resourceID: "r", allocation("late", 5_000, 5_010), at: 0), .created)
            XCTAssertLessThan(store.journal.currentSize - before, 300, "a booking journals itself, not the resource's 200 allocations")
            XCTAssertEqual(try store.deleteAllocation(car, resourceID: "r", allocationID: "7"), true)
            XCTAssertEqual(try store.deleteAllocation(car, resourceID: "r", allocationID: "7"), false)
            if case .conflict(let c) = try store.allocate(car, resourceID: "r", allocation("x", 15, 25), at: 0) { XCTAssertEqual(c.map(\.id), ["1", "2"]) } else { XCTFail() }
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
                _ = try store.updateResource(car, id: "r", name: "Car \(i)", turnaroundMinutes: nil)
                sizes.append(store.journal.currentSize)
            }
            XCTAssertTrue(zip(sizes, sizes.dropFirst()).contains { $0 > $1 }, "compaction ran: \(sizes)")
            try check(store)
            store.waitForSnapshot()  // the snapshot thread holds the directory until it is written
        }
        try check(try EmbeddedStore(directory: dir))
    }

    /// Issue 17 on the embedded store: holds, confirmations, cancellations, moves and a booking
    /// over an expired hold (which files it as cancelled in the same write) all survive a reopen
    /// and a compaction, and the live allocations never overlap.
    func testLifecycleChangesSurviveReopenAndCompaction() throws {
        let dir = temporaryDirectory()
        let car = ResourceKind.all[0]
        var expected: Resource?
        do {
            let store = try EmbeddedStore(directory: dir, compactMinBytes: 1 << 30)
            try store.createResource(Resource(id: "r", name: "Car", kind: car, createdAt: 0, turnaroundMinutes: 1))
            var hold = allocation("hold", 0, 100_000)
            hold.status = .tentative
            hold.expiresAt = 50
            XCTAssertEqual(try store.allocate(car, resourceID: "r", hold, at: 10), .created)
            if case .conflict(let c) = try store.allocate(car, resourceID: "r", allocation("blocked", 50_000, 60_000), at: 20) {
                XCTAssertEqual(c.map(\.id), ["hold"])
            } else {
                XCTFail()
            }
            XCTAssertEqual(try store.allocate(car, resourceID: "r", allocation("over", 50_000, 60_000), at: 60), .created, "the hold expired at 50")
            XCTAssertEqual(try store.allocate(car, resourceID: "r", allocation("next", 120_000, 130_000), at: 60), .created, "60 s after over's buffer")
            let next = try XCTUnwrap(try store.allocation(car, resourceID: "r", allocationID: "next")?.allocation)
            XCTAssertEqual(next.blockedUntil, 190_000, "a minute's turnaround")
            var moved = next
            moved.interval = Interval(from: 125_000, to: 135_000)
            if case .changed(let m) = try store.changeAllocation(car, resourceID: "r", expected: next, to: moved, at: 70) {
                XCTAssertEqual(m.blockedUntil, 195_000)
            } else {
                XCTFail()
            }
            XCTAssertEqual(
                try store.changeAllocation(car, resourceID: "r", expected: next, to: moved, at: 70),
                .stale(try XCTUnwrap(try store.allocation(car, resourceID: "r", allocationID: "next")?.allocation)))
            var clash = moved
            clash.interval = Interval(from: 100_000, to: 135_000)
            if case .conflict(let c) = try store.changeAllocation(
                car, resourceID: "r", expected: try XCTUnwrap(try store.allocation(car, resourceID: "r", allocationID: "next")?.allocation), to: clash, at: 70)
            {
                XCTAssertEqual(c.map(\.id), ["over"])
            } else {
                XCTFail()
            }
            let resource = try XCTUnwrap(try store.resource(car, id: "r"))
            XCTAssertEqual(resource.allocations.map(\.id), ["over", "next"])
            XCTAssertEqual(resource.cancelled.map(\.id), ["hold"])
            XCTAssertEqual(resource.cancelled.first?.cancelReason, Allocation.expiredReason)
            expected = resource
        }
        do {
            let reopened = try EmbeddedStore(directory: dir, compactMinBytes: 1 << 30)
            XCTAssertEqual(try reopened.resource(car, id: "r"), expected)
            _ = try reopened.updateResource(car, id: "r", name: "Compacted", turnaroundMinutes: nil)
            reopened.compactNow()
            reopened.waitForSnapshot()
        }
        var renamed = expected
        renamed?.name = "Compacted"
        XCTAssertEqual(try EmbeddedStore(directory: dir, compactMinBytes: 1 << 30).resource(car, id: "r"), renamed)
    }

    /// The sweep files holds expired by then as cancelled ("hold expired"), durably, and leaves
    /// live holds and confirmed bookings alone.
    func testTheSweepFilesExpiredHoldsAsCancelled() throws {
        let dir = temporaryDirectory()
        let car = ResourceKind.all[0]
        do {
            let store = try EmbeddedStore(directory: dir)
            try store.createResource(Resource(id: "r", name: "Car", kind: car, createdAt: 0))
            for (id, expiry) in [("old", Int64(100)), ("live", Int64(10_000))] {
                var hold = allocation(id, expiry, expiry + 50)
                hold.status = .tentative
                hold.expiresAt = expiry
                XCTAssertEqual(try store.allocate(car, resourceID: "r", hold, at: 0), .created)
            }
            XCTAssertEqual(try store.allocate(car, resourceID: "r", allocation("booked", 500, 600), at: 0), .created)
            XCTAssertEqual(try store.fileExpiredHolds(at: 1_000), 1)
            XCTAssertEqual(try store.fileExpiredHolds(at: 1_000), 0)
        }
        let resource = try XCTUnwrap(try EmbeddedStore(directory: dir).resource(car, id: "r"))
        XCTAssertEqual(resource.cancelled.map(\.id), ["old"], "filed, and still so after a reopen")
        XCTAssertEqual(resource.cancelled.first?.cancelReason, Allocation.expiredReason)
        XCTAssertEqual(resource.allocations.map(\.id), ["booked", "live"])
    }
}
