import JSON
import MongoBridge
import TestSupport
import XCTest

@testable import BooksApp

/// Issue 17: a move between two resources on MongoDB, stopped after each step as a kill would
/// leave it (the failCommand fail point fails every later attempt), then settled by recovery run
/// past the lease: it ends on exactly one resource, whole, and blocks throughout.
final class MongoMoveRecoveryTests: XCTestCase {
    private let cars = ResourceKind.all[0], lorries = ResourceKind.all[1]
    private let now: Int64 = 1_000_000

    private func failEvery(_ pool: MongoPool, _ command: String, skip: Int32 = 0) throws {
        let mode: Document = skip > 0 ? ["skip": .int32(skip)] : ["times": .int32(1000)]
        _ = try pool.runCommand([
            "configureFailPoint": .string("failCommand"), "mode": .document(mode),
            "data": .document(["failCommands": .array([.string(command)]), "errorCode": .int32(10107), "errorLabels": .array([.string("RetryableWriteError")])]),
        ])
    }

    private func off(_ pool: MongoPool) throws { _ = try pool.runCommand(["configureFailPoint": .string("failCommand"), "mode": .string("off")]) }

    /// A car with one allocation and an empty lorry; the allocation as stored, and its move.
    private func setUp(_ store: MongoStore) throws -> (Allocation, Allocation) {
        try store.createResource(Resource(id: "car", name: "Car", kind: cars, createdAt: 0))
        try store.createResource(Resource(id: "lorry", name: "Lorry", kind: lorries, createdAt: 0))
        let booking = Allocation(id: "a", interval: Interval(from: 0, to: 3_600_000), allocationType: "hire", description: "d", createdAt: now, updatedAt: now)
        XCTAssertEqual(try store.allocate(cars, resourceID: "car", booking, at: now), .created)
        let stored = try XCTUnwrap(try store.allocation(cars, resourceID: "car", allocationID: "a")?.allocation)
        var moved = stored
        moved.updatedAt = now + 1
        moved.description = "moved"
        return (stored, moved)
    }

    /// Where allocation "a" is: the resources listing it, with its description there.
    private func whereabouts(_ store: MongoStore) throws -> [String: String?] {
        var found: [String: String?] = [:]
        for (kind, id) in [(cars, "car"), (lorries, "lorry")] {
            if let a = try store.resource(kind, id: id)?.allocation("a") { found[id] = a.description }
        }
        return found
    }

    private func withStore(_ body: (MongoStore, MongoPool) throws -> Void) throws {
        let server = try MongoTestServer()
        defer { server.stop() }
        do {
            let pool = try MongoPool(url: server.url, defaultDatabase: "bookdata", maxSize: 2)
            let store = MongoStore(pool: pool, maxDocumentBytes: 1 << 20)
            try store.createIndexes()
            try body(store, pool)
        }
    }

    func testAnUninterruptedMoveLeavesNothingToRecover() throws {
        try withStore { store, _ in
            let (stored, moved) = try setUp(store)
            XCTAssertEqual(try store.moveAllocation(cars, resourceID: "car", expected: stored, to: moved, target: (lorries, "lorry"), at: now), .changed(moved))
            XCTAssertEqual(try whereabouts(store), ["lorry": "moved"])
            XCTAssertEqual(try store.finishInterruptedMoves(now: now + 60_000), 0)
            XCTAssertEqual(try store.moveAllocation(cars, resourceID: "car", expected: stored, to: moved, target: (lorries, "lorry"), at: now), .allocationNotFound)
        }
    }

    func testStoppedAfterTheMarkItRollsBack() throws {
        try withStore { store, pool in
            let (stored, moved) = try setUp(store)
            try failEvery(pool, "update")  // (2), the target's details
            XCTAssertThrowsError(try store.moveAllocation(cars, resourceID: "car", expected: stored, to: moved, target: (lorries, "lorry"), at: now))
            try off(pool)
            XCTAssertEqual(try whereabouts(store), ["car": "d"])
            XCTAssertThrowsError(try store.deleteAllocation(cars, resourceID: "car", allocationID: "a"), "a marked allocation waits for its move")
            if case .conflict = try store.allocate(cars, resourceID: "car", Allocation(id: "b", interval: Interval(from: 0, to: 60_000), allocationType: "x"), at: now) {
            } else {
                XCTFail("it still blocks its slot")
            }
            XCTAssertEqual(try store.finishInterruptedMoves(now: now + 1_000), 0, "within the lease, the mover may still be at work")
            XCTAssertEqual(try store.finishInterruptedMoves(now: now + 60_000), 1)
            XCTAssertEqual(try whereabouts(store), ["car": "d"])
            XCTAssertEqual(
                try store.moveAllocation(cars, resourceID: "car", expected: stored, to: moved, target: (lorries, "lorry"), at: now), .changed(moved), "unmarked: it can move again")
        }
    }

    func testStoppedAfterThePushItRollsForward() throws {
        try withStore { store, pool in
            let (stored, moved) = try setUp(store)
            try failEvery(pool, "update", skip: 1)  // (2) passes; (4), the pull from the car, fails
            XCTAssertThrowsError(try store.moveAllocation(cars, resourceID: "car", expected: stored, to: moved, target: (lorries, "lorry"), at: now))
            try off(pool)
            XCTAssertEqual(try whereabouts(store), ["car": "d", "lorry": "moved"], "on both for now, never on neither")
            XCTAssertEqual(try store.finishInterruptedMoves(now: now + 60_000), 1, "one move, settled from its mark")
            XCTAssertEqual(try whereabouts(store), ["lorry": "moved"])
            XCTAssertEqual(try store.finishInterruptedMoves(now: now + 120_000), 0)
        }
    }

    func testStoppedBeforeItsFinishTheArrivalIsSettled() throws {
        try withStore { store, pool in
            let (stored, moved) = try setUp(store)
            try failEvery(pool, "delete")  // (5), the car's details
            XCTAssertThrowsError(try store.moveAllocation(cars, resourceID: "car", expected: stored, to: moved, target: (lorries, "lorry"), at: now))
            try off(pool)
            XCTAssertEqual(try whereabouts(store), ["lorry": "moved"])
            XCTAssertEqual(try store.finishInterruptedMoves(now: now + 60_000), 1)
            XCTAssertEqual(try store.deleteAllocation(lorries, resourceID: "lorry", allocationID: "a"), true, "settled: an ordinary allocation again")
        }
    }

    /// A mover that stalled past the lease pushes after recovery rolled its move back: its entry
    /// names a mark the source no longer has, so it leaves the target.
    func testALateArrivalAfterARollbackLeavesTheTarget() throws {
        try withStore { store, pool in
            _ = try setUp(store)
            let late: Document = [
                "id": .string("a"), "from": .int64(0), "to": .int64(3_600_000),
                "moved_from": .document(["kind": .string("car"), "resource_id": .string("car"), "version": .int64(now + 1)]),
            ]
            try pool.collection("lorries") { (c) throws(MongoError) in
                _ = try c.updateOne(["id": .document(["$eq": .string("lorry")])], update: ["$push": .document(["allocations": .document(late)])])
            }
            XCTAssertEqual(try store.finishInterruptedMoves(now: now + 60_000), 1)
            XCTAssertEqual(try whereabouts(store), ["car": "d"])
        }
    }

    /// The recovery thread also files expired holds: the entry becomes cancelled (keeping its
    /// expiry), reads with cancel_reason "hold expired", and a live hold is left alone.
    func testTheSweepFilesExpiredHoldsAsCancelled() throws {
        try withStore { store, _ in
            try store.createResource(Resource(id: "car", name: "Car", kind: cars, createdAt: 0))
            for (id, expiry) in [("old", now + 10), ("live", now + 10_000_000)] {
                let hold = Allocation(
                    id: id, interval: Interval(from: expiry, to: expiry + 1000), allocationType: "x", status: .tentative, expiresAt: expiry, createdAt: now, updatedAt: now)
                XCTAssertEqual(try store.allocate(cars, resourceID: "car", hold, at: now), .created)
            }
            XCTAssertEqual(try store.fileExpiredHolds(at: now + 60_000), 1)
            XCTAssertEqual(try store.fileExpiredHolds(at: now + 60_000), 0, "filed once")
            let filed = try XCTUnwrap(try store.allocation(cars, resourceID: "car", allocationID: "old")?.allocation)
            XCTAssertEqual(filed.status, .cancelled)
            XCTAssertEqual(filed.effective(at: now).cancelReason, Allocation.expiredReason)
            XCTAssertEqual(try store.allocation(cars, resourceID: "car", allocationID: "live")?.allocation?.status, .tentative)
        }
    }
}
