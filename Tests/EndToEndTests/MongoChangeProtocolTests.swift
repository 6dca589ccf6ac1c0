import Foundation
import JSON
import MongoBridge
import TestSupport
import XCTest

/// Issue 17: a PATCH of an allocation on MongoDB is three writes (pending details, the entry's
/// compare-and-swap, promotion; see MongoStore+Allocations.swift). Each test stops the change after
/// one step, with the failCommand fail point failing every later attempt (the driver's retry too),
/// which leaves the database as a kill of the server at that point would: the allocation reads
/// whole, old before the swap and new after it, and it is never lost or doubled.
final class MongoChangeProtocolTests: XCTestCase {
    private let json = [("Content-Type", "application/json")]

    private struct Setup {
        let mongo: MongoTestServer
        let api: ServerProcess
        let pool: MongoPool
        let path: String
        func stop() {
            api.stop()
            mongo.stop()
        }
    }

    private func setUpBooking() throws -> Setup {
        let mongo = try MongoTestServer()
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        let car = try c.request("POST", "/cars", headers: json, body: #"{"name":"C"}"#)
        let carPath = try XCTUnwrap(car.header("Location"), car.text)
        let booking = #"{"from":"2031-01-01T10:00:00Z","to":"2031-01-01T11:00:00Z","allocation_type":"hire","description":"old"}"#
        let made = try c.request("POST", carPath + "/allocations", headers: json, body: booking)
        XCTAssertEqual(made.status, 201, made.text)
        return Setup(mongo: mongo, api: api, pool: try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1), path: try XCTUnwrap(made.header("Location")))
    }

    private func fail(_ pool: MongoPool, _ command: String, mode: Document) throws {
        _ = try pool.runCommand([
            "configureFailPoint": .string("failCommand"), "mode": .document(mode),
            "data": .document(["failCommands": .array([.string(command)]), "errorCode": .int32(10107), "errorLabels": .array([.string("RetryableWriteError")])]),
        ])
    }

    private func off(_ pool: MongoPool) throws { _ = try pool.runCommand(["configureFailPoint": .string("failCommand"), "mode": .string("off")]) }

    private func current(_ s: Setup) throws -> JSONObject {
        let r = try s.api.client().request("GET", s.path)
        XCTAssertEqual(r.status, 200, r.text)
        return try XCTUnwrap(JSONParser.parse(r.body).objectValue)
    }

    private let change = #"{"from":"2031-01-01T12:00:00Z","to":"2031-01-01T13:00:00Z","description":"new"}"#

    private func patch(_ s: Setup) throws -> RawHTTPClient.Response {
        try s.api.client().request("PATCH", s.path, headers: json, body: change)
    }

    func testStoppedBeforeTheSwapTheOldAllocationReadsWhole() throws {
        for step in ["update", "findAndModify"] {  // (1) the pending details, (2) the swap
            let s = try setUpBooking()
            defer { s.stop() }
            try fail(s.pool, step, mode: ["times": .int32(2)])
            let r = try patch(s)
            XCTAssertEqual(r.status, 503, "\(step): \(r.text)")
            try off(s.pool)
            let a = try current(s)
            XCTAssertEqual(a["from"], .string("2031-01-01T10:00:00Z"), step)
            XCTAssertEqual(a["description"], .string("old"), "\(step): the pending details are not shown")
            let again = try patch(s)
            XCTAssertEqual(again.status, 200, "\(step): the change can be sent again: \(again.text)")
            XCTAssertEqual(try current(s)["description"], .string("new"), step)
        }
    }

    func testStoppedAfterTheSwapTheNewAllocationReadsWhole() throws {
        let s = try setUpBooking()
        defer { s.stop() }
        try fail(s.pool, "update", mode: ["skip": .int32(1)])  // the pending write passes; promotion fails
        let r = try patch(s)
        XCTAssertEqual(r.status, 200, "the swap decided it: \(r.text)")
        try off(s.pool)
        let a = try current(s)
        XCTAssertEqual(a["from"], .string("2031-01-01T12:00:00Z"))
        XCTAssertEqual(a["description"], .string("new"), "read from the pending version the entry names")
        XCTAssertEqual(try XCTUnwrap(JSONParser.parse(r.body).objectValue)["updated_at"], a["updated_at"])
        let next = try s.api.client().request("PATCH", s.path, headers: json, body: #"{"description":"newer"}"#)
        XCTAssertEqual(next.status, 200, next.text)
        XCTAssertEqual(try current(s)["description"], .string("newer"))
        XCTAssertEqual(try current(s)["from"], .string("2031-01-01T12:00:00Z"))
        let list = try JSONParser.parse(try s.api.client().request("GET", s.path.components(separatedBy: "/allocations/")[0] + "/allocations").body).arrayValue
        XCTAssertEqual(list?.count, 1, "never doubled")
    }

    /// Issue 18: a batch of allocations is one insert of its details and one findAndModify whose
    /// filter checks every interval (the update pushes them all with `$each`; the log keeps filters).
    func testABatchIsOneConditionalUpdate() throws {
        let s = try setUpBooking()
        defer { s.stop() }
        let carPath = s.path.components(separatedBy: "/allocations/")[0]
        _ = s.mongo.takeCommands()
        let batch = (1...3).map { #"{"from":"2031-02-0\#($0)T09:00:00Z","to":"2031-02-0\#($0)T10:00:00Z","allocation_type":"weekly"}"# }
        let r = try s.api.client().request("POST", carPath + "/allocations", headers: json, body: "[" + batch.joined(separator: ",") + "]")
        XCTAssertEqual(r.status, 201, r.text)
        let commands = s.mongo.takeCommands()
        let writes = commands.filter { ["insert", "findAndModify", "update"].contains($0.name) }
        XCTAssertEqual(writes.map(\.name), ["insert", "findAndModify"], commands.map(\.name).joined(separator: ","))
        XCTAssertEqual(writes[1].json.components(separatedBy: "$elemMatch").count - 1, 3, "the filter checks each interval: \(writes[1].json)")
        XCTAssertEqual(try JSONParser.parse(try s.api.client().request("GET", carPath + "/allocations").body).arrayValue?.count, 4, "all three pushed, beside the first")
    }
}
