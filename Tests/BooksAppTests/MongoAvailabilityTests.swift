import MongoBridge
import TestSupport
import XCTest

@testable import BooksApp

/// Issue 14: the availability search on MongoDB finds the busy resources on the allocation-ends
/// index, then pages the rest by `$nin`; past its busy-id limit it falls back to `$not $elemMatch`.
/// Both give the same answer.
final class MongoAvailabilityTests: XCTestCase {
    private let cars = ResourceKind.all[0]
    private let window = Interval(from: 1_000, to: 2_000)

    /// A store on `server` (used inside a `do` block, so its pool ends its sessions before the
    /// server stops).
    private func store(on server: MongoTestServer, busyIDLimit: Int) throws -> MongoStore {
        let pool = try MongoPool(url: server.url, defaultDatabase: "bookdata", maxSize: 2)
        let store = MongoStore(pool: pool, maxDocumentBytes: 1 << 20, busyIDLimit: busyIDLimit)
        try store.createIndexes()
        // Five cars: c0 and c1 free in the window (c1 only touches it), c2, c3 and c4 busy.
        let bookings: [[Interval]] = [[], [Interval(from: 0, to: 1_000)], [Interval(from: 1_500, to: 1_600)], [Interval(from: 0, to: 5_000)], [Interval(from: 1_999, to: 3_000)]]
        for (i, intervals) in bookings.enumerated() {
            try store.createResource(Resource(id: "c\(i)", name: "Car \(4 - i)", kind: cars, createdAt: Int64(i)))
            for (j, interval) in intervals.enumerated() {
                XCTAssertEqual(try store.allocate(cars, resourceID: "c\(i)", Allocation(id: "a\(i)-\(j)", interval: interval, allocationType: "x"), at: 0), .created)
            }
        }
        _ = server.takeCommands()
        return store
    }

    private func available(_ store: MongoStore, limit: Int = 10) throws -> (total: Int, ids: [String]) {
        var query = ResourceQuery(skip: 0, limit: limit)
        query.sort = [(.name, true)]
        query.available = window
        let page = try store.listResources(cars, query)
        return (page.total, page.items.map(\.id))
    }

    func testBusyIDsComeFromTheAllocationIndexThenThePageExcludesThem() throws {
        let server = try MongoTestServer()
        defer { server.stop() }
        do {
            let store = try store(on: server, busyIDLimit: 100)
            let page = try available(store)
            XCTAssertEqual(page.ids, ["c1", "c0"], "sorted by name: Car 3, Car 4")
            XCTAssertEqual(page.total, 2)
            let finds = server.takeCommands().filter { $0.name == "find" }
            XCTAssertEqual(finds.count, 2, finds.map(\.json).joined(separator: "\n"))
            XCTAssertTrue(finds[0].json.contains(#""$elemMatch""#) && !finds[0].json.contains(#""$not""#), "a positive $elemMatch: \(finds[0].json)")
            XCTAssertTrue(finds[1].json.contains(#""$nin""#) && !finds[1].json.contains(#""$elemMatch""#), "the page by $nin: \(finds[1].json)")
            // A full page is counted by the same $nin filter, which the id index answers.
            let (_, _) = try available(store, limit: 1)
            let counts = server.takeCommands().filter { $0.name == "aggregate" }
            XCTAssertEqual(counts.count, 1)
            XCTAssertTrue(counts[0].json.contains(#""$nin""#), counts[0].json)
        }
    }

    /// Issue 16: a resource document keeps only intervals, so 100,000 allocations over its life
    /// fit MongoDB's 16 MiB limit with room to spare (about 79 bytes each; 7.9 MB).
    func testAHundredThousandIntervalsFitOneResourceDocument() {
        let intervals: [BSON] = (0..<100_000).map { i in
            let id = String(repeating: "f", count: 26) + String(100_000 + i)
            return .document(MongoStore.entry(of: Allocation(id: id, interval: Interval(from: Int64(i) * 3_600_000, to: Int64(i + 1) * 3_600_000), allocationType: "hire")))
        }
        let resource: Document = ["id": .string(String(repeating: "a", count: 32)), "name": .string("Busy"), "type": .string("car"), "allocations": .array(intervals)]
        let size = BSONCodec.encode(resource).count
        XCTAssertLessThan(size, 16 * 1024 * 1024 / 2, "\(size) bytes: under half the limit")
        XCTAssertLessThan(size / 100_000, 80)
    }

    func testTheIndexOnAllocationEndsIsCreated() throws {
        let server = try MongoTestServer()
        defer { server.stop() }
        do {
            let pool = try MongoPool(url: server.url, defaultDatabase: "bookdata", maxSize: 2)
            try MongoStore(pool: pool, maxDocumentBytes: 1 << 20).createIndexes()
        }
        let created = server.takeCommands().filter { $0.name == "createIndexes" && $0.json.contains(#""collection": "cars""#) }
        XCTAssertEqual(created.count, 1)
        for name in ["id_1", "name_1_id_1", "created_at_1_id_1", "allocations.to_1_allocations.from_1"] {
            XCTAssertTrue(created[0].json.contains(#""\#(name)""#), "\(name) in \(created[0].json)")
        }
    }

    func testPastTheBusyLimitTheSearchFallsBackAndAgrees() throws {
        let server = try MongoTestServer()
        defer { server.stop() }
        do {
            let store = try store(on: server, busyIDLimit: 2)
            let page = try available(store)
            XCTAssertEqual(page.ids, ["c1", "c0"])
            XCTAssertEqual(page.total, 2)
            let finds = server.takeCommands().filter { $0.name == "find" }
            XCTAssertEqual(finds.count, 2)
            XCTAssertTrue(finds[1].json.contains(#""$not""#) && !finds[1].json.contains(#""$nin""#), "fallback: \(finds[1].json)")
        }
    }

    /// Issue 17: a cursor page of GET /availability is a range on the `{name: 1, id: 1}` index,
    /// `(name, id) > (the cursor's)`, before the sort, never a `$skip`.
    func testAFleetCursorPageIsARangeNotASkip() throws {
        let stages = MongoStore.freeBusyStages(window, skip: 0, limit: 50, after: (name: "Van", id: "v1"))
        let names = stages.map { $0.keys.first ?? "" }
        XCTAssertEqual(Array(names.prefix(3)), ["$match", "$sort", "$limit"])
        XCTAssertFalse(names.contains("$skip"))
        guard case .document(let match)? = stages[0]["$match"], case .array(let branches)? = match["$or"] else { return XCTFail("\(stages[0])") }
        XCTAssertEqual(branches.count, 2, "name after, or the same name and id after")
        XCTAssertEqual(MongoStore.freeBusyStages(window, skip: 100, limit: 50).map { $0.keys.first ?? "" }.prefix(3), ["$sort", "$skip", "$limit"])
    }
}
