import Dispatch
import Foundation
import JSON
import TestSupport
import XCTest

/// Issue 17: POST /{type}/allocations books any free resource of the type, by the documented rule
/// (fewest allocations in the week, then name, then id), atomically: a race gives exactly as many
/// bookings as there are free resources, on both stores and across two API processes.
final class AutoAssignTests: XCTestCase {
    private static let json = [("Content-Type", "application/json")]
    private static let hour = #"{"from":"2031-06-03T10:00:00Z","to":"2031-06-03T11:00:00Z","allocation_type":"hire"}"#

    private static func car(_ port: Int, _ name: String) throws -> String {
        let r = try RawHTTPClient(port: port).request("POST", "/cars", headers: json, body: #"{"name":"\#(name)"}"#)
        return String(try XCTUnwrap(r.header("Location")).dropFirst("/cars/".count))
    }

    private static func object(_ r: RawHTTPClient.Response) throws -> JSONObject { try XCTUnwrap(JSONParser.parse(r.body).objectValue, r.text) }

    func testTheRuleThenTheEarliestAvailable() throws {
        let store = try StoreUnderTest()
        defer { _ = store.stop() }
        let port = store.server.port
        let b = try Self.car(port, "B"), a = try Self.car(port, "A"), c = try Self.car(port, "C")
        let client = try store.server.client()
        // B already has a booking this week (Tuesday 3 June 2031's week starts Monday the 2nd).
        XCTAssertEqual(
            try client.request("POST", "/cars/\(b)/allocations", headers: Self.json, body: #"{"from":"2031-06-02T08:00:00Z","to":"2031-06-02T09:00:00Z","allocation_type":"x"}"#)
                .status, 201)
        var chosen: [String] = []
        for _ in 0..<3 {
            let r = try client.request("POST", "/cars/allocations", headers: Self.json, body: Self.hour)
            XCTAssertEqual(r.status, 201, r.text)
            let booked = try Self.object(r)
            let resource = try XCTUnwrap(booked["resource_id"]?.stringValue)
            XCTAssertEqual(r.header("Location"), "/cars/\(resource)/allocations/\(try XCTUnwrap(booked["id"]?.stringValue))")
            chosen.append(resource)
        }
        XCTAssertEqual(chosen, [a, c, b], "fewest in the week first, then by name")
        // C is booked from 11:00 to 12:30 too, so at 11:00 only A and B are free: A by name.
        XCTAssertEqual(
            try client.request("POST", "/cars/\(c)/allocations", headers: Self.json, body: #"{"from":"2031-06-03T11:00:00Z","to":"2031-06-03T12:30:00Z","allocation_type":"x"}"#)
                .status, 201)
        let none = try client.request("POST", "/cars/allocations", headers: Self.json, body: Self.hour)
        XCTAssertEqual(none.status, 409, none.text)
        XCTAssertEqual(none.header("Content-Type"), "application/problem+json")
        let earliest = try XCTUnwrap(Self.object(none)["earliest_available"]?.objectValue, none.text)
        XCTAssertEqual(earliest["from"], .string("2031-06-03T11:00:00Z"))
        XCTAssertEqual(earliest["to"], .string("2031-06-03T12:00:00Z"), "the same duration")
        XCTAssertEqual(earliest["resource"]?.objectValue?["id"], .string(a))
        let open = try client.request("POST", "/cars/allocations", headers: Self.json, body: #"{"from":"2031-06-03T10:00:00Z","to":null,"allocation_type":"hire"}"#)
        XCTAssertEqual(open.status, 422, open.text)
        XCTAssertEqual(try client.request("POST", "/trucks/allocations", headers: Self.json, body: Self.hour).status, 409, "no trucks at all")
        XCTAssertEqual(try Self.object(try client.request("POST", "/trucks/allocations", headers: Self.json, body: Self.hour))["earliest_available"], .null)
    }

    func testThirtyTwoClientsOnEightCarsGiveEightBookings() throws {
        let store = try StoreUnderTest()
        defer { _ = store.stop() }
        try Self.race(ports: [store.server.port])
    }

    func testTheRaceAcrossTwoProcessesOnOneMongoDB() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let first = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        let second = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer {
            first.stop()
            second.stop()
        }
        try Self.race(ports: [first.port, second.port])
    }

    /// 32 clients book the same hour on 8 cars at once: exactly 8 answers 201 and 24 answer 409,
    /// and every car holds exactly one booking, the one a 201 named.
    private static func race(ports: [Int]) throws {
        let cars = try (0..<8).map { try car(ports[0], "Race \($0)") }
        let tally = RaceTally()
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            do {
                let r = try RawHTTPClient(port: ports[i % ports.count]).request("POST", "/cars/allocations", headers: json, body: hour)
                let o = try? object(r)
                tally.record(r.status, car: o?["resource_id"]?.stringValue, id: o?["id"]?.stringValue)
            } catch {
                tally.record(0, error: "\(error)")
            }
        }
        let (statuses, booked, errors) = tally.result
        XCTAssertEqual(errors, [])
        XCTAssertEqual(statuses.filter { $0 == 201 }.count, 8, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 409 }.count, 24, "\(statuses)")
        for car in cars {
            let list = try JSONParser.parse(try RawHTTPClient(port: ports.last!).request("GET", "/cars/\(car)/allocations").body).arrayValue ?? []
            XCTAssertEqual(list.compactMap { $0.objectValue?["id"]?.stringValue }, booked[car].map { [$0] } ?? [], "car \(car)")
        }
    }
}

/// What the racing clients saw, gathered under a lock.
private final class RaceTally: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [Int] = [], booked: [String: String] = [:], errors: [String] = []

    func record(_ status: Int, car: String? = nil, id: String? = nil, error: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        statuses.append(status)
        if let error { errors.append(error) }
        if status == 201, let car, let id {
            if booked[car] != nil { errors.append("car \(car) booked twice") }
            booked[car] = id
        }
    }

    var result: ([Int], [String: String], [String]) {
        lock.lock()
        defer { lock.unlock() }
        return (statuses, booked, errors)
    }
}
