import Foundation
import JSON
import TestSupport
import XCTest

/// Issue 17's allocation lifecycle over HTTP, on whichever store `StoreUnderTest` selects: move
/// and resize by PATCH (the overlap test ignoring the allocation itself), If-Match, holds that
/// expire, cancellation kept as history, and a resource's turnaround buffer.
final class BookingLifecycleTests: XCTestCase {
    static let shared = SharedFixture { try StoreUnderTest() }
    var fixture: StoreUnderTest!

    override func setUpWithError() throws { fixture = try Self.shared.get() }

    override class func tearDown() {
        shared.started?.stop()
        super.tearDown()
    }

    private func client() throws -> RawHTTPClient { try fixture.server.client() }
    private func object(_ r: RawHTTPClient.Response) throws -> JSONObject { try XCTUnwrap(JSONParser.parse(r.body).objectValue, r.text) }

    private func send(_ method: String, _ path: String, _ body: String, headers: [(String, String)] = []) throws -> RawHTTPClient.Response {
        try client().request(method, path, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    private func car(_ extra: String = "") throws -> String {
        let r = try send("POST", "/cars", #"{"name":"Lifecycle"\#(extra)}"#)
        XCTAssertEqual(r.status, 201, r.text)
        return try XCTUnwrap(object(r)["id"]?.stringValue)
    }

    private static func at(_ hhmm: String) -> String { "\"2031-03-01T\(hhmm):00Z\"" }

    /// Books [from, to) on `car`, returning the allocation.
    private func book(_ car: String, _ from: String, _ to: String, _ extra: String = "", expect status: Int = 201) throws -> JSONObject {
        let r = try send("POST", "/cars/\(car)/allocations", #"{"from":\#(Self.at(from)),"to":\#(Self.at(to)),"allocation_type":"hire"\#(extra)}"#)
        XCTAssertEqual(r.status, status, r.text)
        return try object(r)
    }

    private func patch(_ car: String, _ id: String, _ body: String, ifMatch: String? = nil) throws -> RawHTTPClient.Response {
        try send("PATCH", "/cars/\(car)/allocations/\(id)", body, headers: ifMatch.map { [("If-Match", $0)] } ?? [])
    }

    private static func formatter() -> ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
    private static func iso(_ date: Date) -> String { formatter().string(from: date) }
    private static func date(_ text: String) -> Date? { formatter().date(from: text) ?? ISO8601DateFormatter().date(from: text) }

    func testMoveAndResizeIgnoreTheAllocationItself() throws {
        let car = try car()
        let a = try book(car, "10:00", "12:00", #","description":"first","data":{"po":7}"#)
        let b = try book(car, "12:00", "14:00")
        let aID = try XCTUnwrap(a["id"]?.stringValue), bID = try XCTUnwrap(b["id"]?.stringValue)
        XCTAssertEqual(a.fields.map(\.key), ["id", "resource_id", "from", "to", "status", "allocation_type", "description", "data", "created_at", "updated_at"])
        XCTAssertEqual(a["status"], .string("confirmed"))
        XCTAssertEqual(a["resource_id"], .string(car))

        let moved = try patch(car, aID, #"{"from":\#(Self.at("09:00")),"to":\#(Self.at("11:00"))}"#)
        XCTAssertEqual(moved.status, 200, "overlapping only its own old slot: \(moved.text)")
        let m = try object(moved)
        XCTAssertEqual(m["from"], .string("2031-03-01T09:00:00Z"))
        XCTAssertEqual(m["description"], .string("first"), "fields the patch leaves out stay")
        XCTAssertEqual(m["data"], .object(JSONObject([JSONField("po", .int(7))])))
        XCTAssertEqual(m["created_at"], a["created_at"])
        XCTAssertGreaterThan(try XCTUnwrap(m["updated_at"]?.stringValue), try XCTUnwrap(a["updated_at"]?.stringValue))

        let refused = try patch(car, aID, #"{"to":\#(Self.at("12:30"))}"#)
        XCTAssertEqual(refused.status, 409, refused.text)
        XCTAssertEqual(try object(refused)["conflicts"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue }, [bID])
        XCTAssertEqual(try object(try client().request("GET", "/cars/\(car)/allocations/\(aID)"))["to"], .string("2031-03-01T11:00:00Z"), "a refused move changes nothing")

        let resized = try patch(car, bID, #"{"to":\#(Self.at("15:00")),"description":null}"#)
        XCTAssertEqual(resized.status, 200, resized.text)
        let list = try JSONParser.parse(try client().request("GET", "/cars/\(car)/allocations").body).arrayValue ?? []
        XCTAssertEqual(list.compactMap { $0.objectValue?["to"]?.stringValue }, ["2031-03-01T11:00:00Z", "2031-03-01T15:00:00Z"])
        XCTAssertEqual(try patch(car, "nope", #"{"description":"x"}"#).status, 404)
        XCTAssertEqual(try send("PATCH", "/cars/nope/allocations/\(aID)", #"{"description":"x"}"#).status, 404)
    }

    func testIfMatchGuardsAChange() throws {
        let car = try car()
        let id = try XCTUnwrap(try book(car, "08:00", "09:00")["id"]?.stringValue)
        let got = try client().request("GET", "/cars/\(car)/allocations/\(id)")
        let etag = try XCTUnwrap(got.header("ETag"))
        XCTAssertTrue(etag.hasPrefix("\"") && !etag.hasPrefix("W/"), "a strong tag: \(etag)")
        XCTAssertEqual(try patch(car, id, #"{"description":"x"}"#, ifMatch: "\"0000000000000000\"").status, 412)
        let first = try patch(car, id, #"{"description":"x"}"#, ifMatch: etag)
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertNotEqual(first.header("ETag"), etag)
        XCTAssertEqual(first.header("ETag"), try client().request("GET", "/cars/\(car)/allocations/\(id)").header("ETag"), "the answer's tag is the stored one's")
        XCTAssertEqual(try patch(car, id, #"{"description":"y"}"#, ifMatch: etag).status, 412, "a lost update is refused")
        XCTAssertEqual(try patch(car, id, #"{"description":"y"}"#, ifMatch: "W/\(etag.dropFirst(0))").status, 412, "If-Match compares strongly")
    }

    func testAHoldBlocksUntilItExpiresAndIsConfirmedBeforeThen() throws {
        let car = try car()
        let hold = try book(car, "10:00", "11:00", #","status":"tentative""#)
        XCTAssertEqual(hold["status"], .string("tentative"))
        let expiry = try XCTUnwrap(hold["expires_at"]?.stringValue)
        let ttl = try XCTUnwrap(Self.date(expiry)).timeIntervalSinceNow
        XCTAssertTrue((14 * 60...15 * 60).contains(ttl), "HOLD_TTL's 15 minutes by default: \(ttl) s")
        let blocked = try book(car, "10:30", "11:30", expect: 409)
        XCTAssertEqual(blocked["conflicts"]?.arrayValue?.first?.objectValue?["status"], .string("tentative"))
        let holdID = try XCTUnwrap(hold["id"]?.stringValue)
        let confirmed = try patch(car, holdID, #"{"status":"confirmed"}"#)
        XCTAssertEqual(confirmed.status, 200, confirmed.text)
        XCTAssertEqual(try object(confirmed)["status"], .string("confirmed"))
        XCTAssertNil(try object(confirmed)["expires_at"], "a confirmed booking does not expire")
        XCTAssertEqual(try patch(car, holdID, #"{"status":"tentative"}"#).status, 409, "no way back to a hold")

        // A short hold: expires_at a moment ahead. Once past, it blocks nothing and reads as cancelled.
        let short = try book(car, "12:00", "13:00", #","status":"tentative","expires_at":"\#(Self.iso(Date().addingTimeInterval(1.5)))""#)
        let shortID = try XCTUnwrap(short["id"]?.stringValue)
        XCTAssertEqual(try book(car, "12:00", "12:30", expect: 409)["conflicts"]?.arrayValue?.count, 1)
        Thread.sleep(forTimeInterval: 2)
        let expired = try object(try client().request("GET", "/cars/\(car)/allocations/\(shortID)"))
        XCTAssertEqual(expired["status"], .string("cancelled"))
        XCTAssertEqual(expired["cancel_reason"], .string("hold expired"))
        let late = try patch(car, shortID, #"{"status":"confirmed"}"#)
        XCTAssertEqual(late.status, 409, late.text)
        XCTAssertTrue(late.text.contains("hold expired at"), late.text)
        _ = try book(car, "12:00", "12:30")
        let busy = try JSONParser.parse(try client().request("GET", "/cars/\(car)/allocations?from=2031-03-01T12:00:00Z&to=2031-03-01T13:00:00Z").body).arrayValue ?? []
        XCTAssertEqual(busy.count, 1, "the default listing leaves the expired hold out")
        let history = try JSONParser.parse(try client().request("GET", "/cars/\(car)/allocations?status=cancelled").body).arrayValue ?? []
        XCTAssertEqual(history.compactMap { $0.objectValue?["id"]?.stringValue }, [shortID])
    }

    func testCancellingKeepsHistoryAndFreesTheSlot() throws {
        let car = try car()
        let id = try XCTUnwrap(try book(car, "15:00", "16:00")["id"]?.stringValue)
        let cancelled = try patch(car, id, #"{"status":"cancelled","cancel_reason":"customer called"}"#)
        XCTAssertEqual(cancelled.status, 200, cancelled.text)
        XCTAssertEqual(try object(cancelled)["cancel_reason"], .string("customer called"))
        let again = try book(car, "15:00", "16:00")
        XCTAssertEqual(try patch(car, id, #"{"status":"confirmed"}"#).status, 409, "cancelled is final")
        let client = try client()
        XCTAssertEqual(try JSONParser.parse(try client.request("GET", "/cars/\(car)/allocations").body).arrayValue?.count, 1)
        let all = try JSONParser.parse(try client.request("GET", "/cars/\(car)/allocations?status=confirmed,cancelled").body).arrayValue ?? []
        XCTAssertEqual(Set(all.compactMap { $0.objectValue?["id"]?.stringValue }), [id, try XCTUnwrap(again["id"]?.stringValue)])
        XCTAssertEqual(try client.request("GET", "/cars/\(car)/allocations?status=gone").status, 400)
        let fleet = try JSONParser.parse(try client.request("GET", "/availability?types=car&from=2031-03-01T00:00:00Z&to=2031-03-02T00:00:00Z&limit=1000").body).arrayValue ?? []
        let row = fleet.first { $0.objectValue?["resource"]?.objectValue?["id"]?.stringValue == car }?.objectValue
        XCTAssertEqual(row?["busy"]?.arrayValue?.count, 1, "a cancelled allocation is not busy")
        XCTAssertEqual(try client.request("DELETE", "/cars/\(car)/allocations/\(id)").status, 200, "DELETE still removes it entirely")
    }

    func testTurnaroundBlocksAfterEachBooking() throws {
        let car = try car(#","turnaround_minutes":30"#)
        XCTAssertEqual(try object(try client().request("GET", "/cars/\(car)"))["turnaround_minutes"], .int(30))
        let first = try book(car, "10:00", "12:00")
        XCTAssertEqual(first["to"], .string("2031-03-01T12:00:00Z"), "the shown end is the booking's")
        XCTAssertEqual(try book(car, "12:00", "13:00", expect: 409)["conflicts"]?.arrayValue?.count, 1, "within the buffer")
        XCTAssertEqual(try book(car, "09:00", "09:45", expect: 409)["conflicts"]?.arrayValue?.count, 1, "its own buffer reaches the next booking")
        _ = try book(car, "12:30", "13:00")
        _ = try book(car, "09:00", "09:30")
        let free = try JSONParser.parse(try client().request("GET", "/cars?available_from=2031-03-01T12:05:00Z&available_to=2031-03-01T12:20:00Z&limit=1000").body).arrayValue ?? []
        XCTAssertFalse(free.contains { $0.objectValue?["id"]?.stringValue == car }, "the buffer is not free")
        let changed = try send("PATCH", "/cars/\(car)", #"{"turnaround_minutes":0}"#)
        XCTAssertEqual(try object(changed)["turnaround_minutes"], .int(0))
        let later = try book(car, "14:00", "15:00")
        let laterID = try XCTUnwrap(later["id"]?.stringValue)
        XCTAssertEqual(try patch(car, laterID, #"{"from":\#(Self.at("13:00"))}"#).status, 409, "a booking keeps the buffer it was made with")
        XCTAssertEqual(try patch(car, laterID, #"{"from":\#(Self.at("13:30"))}"#).status, 200, "back to back with that buffer")
        _ = try book(car, "15:00", "16:00")  // and no buffer after one made with none
    }

    func testInvalidChangesNameTheField() throws {
        let car = try car()
        let id = try XCTUnwrap(try book(car, "18:00", "19:00")["id"]?.stringValue)
        let cases: [(String, String)] = [
            (#"{"colour":"red"}"#, "colour"), (#"{"status":"done"}"#, "status"), (#"{"status":1}"#, "status"),
            (#"{"expires_at":"2031-03-01T00:00:00Z"}"#, "expires_at"), (#"{"from":\#(Self.at("19:00"))}"#, "from"),
            (#"{"cancel_reason":"why"}"#, "cancel_reason"), (#"{"allocation_type":null}"#, "allocation_type"),
            (#"{"resource_id":7}"#, "resource_id"), (#"{"data":[1]}"#, "data"),
        ]
        for (body, field) in cases {
            let r = try patch(car, id, body)
            XCTAssertEqual(r.status, 422, body)
            XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
            XCTAssertEqual(try object(r)["errors"]?.arrayValue?.first?.objectValue?["field"], .string(field), body)
        }
        for (body, field) in [
            (#","status":"cancelled""#, "status"), (#","status":"tentative","expires_at":"2099-01-01T00:00:00Z""#, "expires_at"),
            (#","expires_at":"2099-01-01T00:00:00Z""#, "expires_at"),
        ] {
            let r = try book(car, "20:00", "21:00", body, expect: 422)
            XCTAssertEqual(r["errors"]?.arrayValue?.first?.objectValue?["field"], .string(field), body)
        }
        for body in [
            #"{"name":"x","turnaround_minutes":null}"#, #"{"name":"x","turnaround_minutes":-1}"#, #"{"name":"x","turnaround_minutes":10081}"#,
            #"{"name":"x","turnaround_minutes":"5"}"#,
        ] {
            XCTAssertEqual(try send("POST", "/cars", body).status, 422, body)
        }
    }

    /// A move to another resource, of the same type or another: the allocation keeps its id and
    /// details, is on the target only, and a busy target refuses it and leaves it where it was.
    func testMovingToAnotherResource() throws {
        let from = try car(), to = try car()
        let lorry = try XCTUnwrap(try object(try send("POST", "/lorries", #"{"name":"L"}"#))["id"]?.stringValue)
        let a = try book(from, "10:00", "11:00", #","description":"trip","data":{"k":1}"#)
        let id = try XCTUnwrap(a["id"]?.stringValue)
        _ = try book(to, "10:30", "12:00")
        let refused = try patch(from, id, #"{"resource_id":"\#(to)"}"#)
        XCTAssertEqual(refused.status, 409, refused.text)
        XCTAssertEqual(try client().request("GET", "/cars/\(from)/allocations/\(id)").status, 200, "refused: still where it was")
        let moved = try patch(from, id, #"{"resource_id":"\#(to)","from":\#(Self.at("08:00")),"to":\#(Self.at("09:00"))}"#)
        XCTAssertEqual(moved.status, 200, moved.text)
        XCTAssertEqual(moved.header("Location"), "/cars/\(to)/allocations/\(id)")
        XCTAssertEqual(try object(moved)["resource_id"], .string(to))
        XCTAssertEqual(try client().request("GET", "/cars/\(from)/allocations/\(id)").status, 404)
        let there = try object(try client().request("GET", "/cars/\(to)/allocations/\(id)"))
        XCTAssertEqual(there["description"], .string("trip"))
        XCTAssertEqual(there["data"], .object(JSONObject([JSONField("k", .int(1))])))
        XCTAssertEqual(there["from"], .string("2031-03-01T08:00:00Z"))
        let across = try patch(to, id, #"{"resource_type":"lorry","resource_id":"\#(lorry)"}"#)
        XCTAssertEqual(across.status, 200, across.text)
        XCTAssertEqual(across.header("Location"), "/lorries/\(lorry)/allocations/\(id)")
        XCTAssertEqual(try JSONParser.parse(try client().request("GET", "/cars/\(to)/allocations").body).arrayValue?.count, 1, "only the car's own booking is left")
        XCTAssertEqual(try client().request("GET", "/lorries/\(lorry)/allocations/\(id)").status, 200)
        XCTAssertEqual(try send("PATCH", "/lorries/\(lorry)/allocations/\(id)", #"{"resource_id":"missing"}"#).status, 404, "no such target")
        XCTAssertEqual(try send("PATCH", "/lorries/\(lorry)/allocations/\(id)", #"{"resource_type":"van","resource_id":"x"}"#).status, 422)
        XCTAssertEqual(try send("PATCH", "/lorries/\(lorry)/allocations/\(id)", #"{"resource_type":"car"}"#).status, 422, "another type needs its id")
    }

    /// Issue 18's batch of allocations: every Monday 9:00 to 10:00 for ten weeks in one POST, all
    /// or none; a batch with one slot taken books nothing and names the conflict; items that overlap
    /// each other are a 422 naming them.
    func testARepeatingBookingIsAllOrNone() throws {
        let car = try car()
        func mondays(_ weeks: ClosedRange<Int>, hour: String = "09") -> String {
            let items = weeks.map { w -> String in
                let day = String(format: "2031-03-%02d", 3 + 7 * w)  // Monday 3 March 2031, then weekly (within March)
                return #"{"from":"\#(day)T\#(hour):00:00Z","to":"\#(day)T\#(hour == "09" ? "10" : "11"):00:00Z","allocation_type":"weekly"}"#
            }
            return "[" + items.joined(separator: ",") + "]"
        }
        let made = try send("POST", "/cars/\(car)/allocations", mondays(0...3))
        XCTAssertEqual(made.status, 201, made.text)
        let booked = try XCTUnwrap(JSONParser.parse(made.body).arrayValue)
        XCTAssertEqual(booked.count, 4)
        XCTAssertEqual(booked.compactMap { $0.objectValue?["resource_id"]?.stringValue }, Array(repeating: car, count: 4))
        XCTAssertEqual(try JSONParser.parse(try client().request("GET", "/cars/\(car)/allocations").body).arrayValue?.count, 4)

        let clash =
            #"[{"from":"2031-03-03T08:00:00Z","to":"2031-03-03T08:30:00Z","allocation_type":"a"},{"from":"2031-03-10T09:30:00Z","to":"2031-03-10T10:30:00Z","allocation_type":"b"},{"from":"2031-03-17T09:30:00Z","to":"2031-03-17T09:45:00Z","allocation_type":"c"}]"#
        let refused = try send("POST", "/cars/\(car)/allocations", clash)
        XCTAssertEqual(refused.status, 409, refused.text)
        let named = try object(refused)["conflicts"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? []
        XCTAssertEqual(named, [booked[1], booked[2]].compactMap { $0.objectValue?["id"]?.stringValue }, "every conflict, in start order")
        XCTAssertEqual(try JSONParser.parse(try client().request("GET", "/cars/\(car)/allocations").body).arrayValue?.count, 4, "none of the batch was booked")

        let itself =
            #"[{"from":"2031-04-01T09:00:00Z","to":"2031-04-01T11:00:00Z","allocation_type":"a"},{"from":"2031-04-01T10:00:00Z","to":"2031-04-01T12:00:00Z","allocation_type":"b"}]"#
        let overlapping = try send("POST", "/cars/\(car)/allocations", itself)
        XCTAssertEqual(overlapping.status, 422, overlapping.text)
        XCTAssertEqual(try object(overlapping)["errors"]?.arrayValue?.first?.objectValue?["field"], .string("[1].from"))
        let invalid = try send("POST", "/cars/\(car)/allocations", #"[{"from":"2031-05-01T09:00:00Z","to":"2031-05-01T10:00:00Z","allocation_type":"a"},{"from":"x","to":null}]"#)
        XCTAssertEqual(invalid.status, 422, invalid.text)
        XCTAssertEqual(Set(try object(invalid)["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue } ?? []), ["[1].from", "[1].allocation_type"])
        XCTAssertEqual(try send("POST", "/cars/\(car)/allocations", "[]").status, 422)
    }
}
