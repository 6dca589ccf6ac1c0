import Dispatch
import Foundation
import JSON
import TestSupport
import XCTest

/// Cars, lorries and trucks with allocations, end to end on whichever store `StoreUnderTest`
/// selects (./scripts/test runs it on the embedded store and again on MongoDB).
final class InventoryContractTests: XCTestCase {
    static let shared = SharedFixture { try StoreUnderTest() }
    var fixture: StoreUnderTest!

    override func setUpWithError() throws { fixture = try Self.shared.get() }

    override class func tearDown() {
        shared.started?.stop()
        super.tearDown()
    }

    private func client() throws -> RawHTTPClient { try fixture.server.client() }
    private func json(_ r: RawHTTPClient.Response) throws -> JSONValue { try JSONParser.parse(r.body) }

    private func post(_ path: String, _ body: String, client c: RawHTTPClient? = nil) throws -> RawHTTPClient.Response {
        try (c ?? client()).request("POST", path, headers: [("Content-Type", "application/json")], body: body)
    }

    private func createResource(_ type: String = "cars", name: String = "Herbie") throws -> String {
        let r = try post("/\(type)", #"{"name":"\#(name)"}"#)
        XCTAssertEqual(r.status, 201, r.text)
        return try XCTUnwrap(json(r).objectValue?["id"]?.stringValue)
    }

    private static func at(_ hhmm: String?) -> String { hhmm.map { "\"2026-05-01T\($0):00Z\"" } ?? "null" }

    /// The kinds the server has, for clients such as the SPA's tabs: the same as its routes.
    func testTheServerNamesItsResourceKinds() throws {
        let r = try fixture.server.client().request("GET", "/resource-kinds")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.text, #"[{"collection":"cars","type":"car"},{"collection":"lorries","type":"lorry"},{"collection":"trucks","type":"truck"}]"#)
    }

    func testResourceLifecycleOnEveryType() throws {
        for (type, singular) in [("cars", "car"), ("lorries", "lorry"), ("trucks", "truck")] {
            let r = try post("/\(type)", #"{"name":"One"}"#)
            XCTAssertEqual(r.status, 201, r.text)
            let resource = try XCTUnwrap(json(r).objectValue)
            let id = try XCTUnwrap(resource["id"]?.stringValue)
            XCTAssertEqual(r.header("Location"), "/\(type)/\(id)")
            XCTAssertEqual(resource.fields.map(\.key), ["id", "name", "type", "turnaround_minutes", "created_at"])
            XCTAssertEqual(resource["type"], .string(singular))
            XCTAssertNotNil(resource["created_at"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z/))
            let c = try client()
            XCTAssertEqual(try c.request("GET", "/\(type)/\(id)").status, 200)
            let renamed = try c.request("PATCH", "/\(type)/\(id)", headers: [("Content-Type", "application/merge-patch+json")], body: #"{"name":"Two"}"#)
            XCTAssertEqual(try json(renamed).objectValue?["name"], .string("Two"))
            let list = try c.request("GET", "/\(type)?sortdesc=created_at&limit=1")
            XCTAssertEqual(list.status, 200)
            XCTAssertNotNil(list.header("X-Total-Count"))
            XCTAssertTrue(list.header("Link")?.contains(#"rel="first""#) ?? false)
            XCTAssertEqual(try c.request("DELETE", "/\(type)/\(id)").status, 200)
            XCTAssertEqual(try c.request("GET", "/\(type)/\(id)").status, 404)
            XCTAssertEqual(try c.request("DELETE", "/\(type)/\(id)").status, 404)
        }
    }

    func testResourceValidation() throws {
        for body in [#"{}"#, #"{"name":""}"#, #"{"name":{"$ne":1}}"#, #"{"name":"x","colour":"red"}"#, #"{"name":"\#(String(repeating: "n", count: 201))"}"#] {
            let r = try post("/lorries", body)
            XCTAssertEqual(r.status, 422, body)
            XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
        }
        XCTAssertEqual(try post("/lorries", "nope").status, 400)
        XCTAssertEqual(try client().request("GET", "/lorries?sortasc=colour").status, 400)
        XCTAssertEqual(try client().request("GET", "/lorries?available_from=tomorrow").status, 400)
        XCTAssertEqual(try client().request("PUT", "/lorries").status, 405)
        XCTAssertEqual(try post("/vans", #"{"name":"x"}"#).status, 404, "an unknown type is no route (and a POST never falls back to the app)")
    }

    /// Every overlap shape against X = [10:00, 12:00): 201 when apart or touching, 409 naming X otherwise.
    func testOverlapTableOverHTTP() throws {
        let car = try createResource()
        let existing = try post("/cars/\(car)/allocations", #"{"from":"2026-05-01T10:00:00Z","to":"2026-05-01T12:00:00Z","allocation_type":"hire"}"#)
        XCTAssertEqual(existing.status, 201, existing.text)
        let existingID = try XCTUnwrap(json(existing).objectValue?["id"]?.stringValue)
        let cases: [(String, String?, String?, Bool)] = [
            ("before", "08:00", "09:00", false), ("meets", "09:00", "10:00", false), ("overlaps", "09:00", "11:00", true),
            ("starts", "10:00", "11:00", true), ("during", "10:30", "11:30", true), ("finishes", "11:00", "12:00", true),
            ("equals", "10:00", "12:00", true), ("finished-by", "09:00", "12:00", true), ("contains", "09:00", "13:00", true),
            ("started-by", "10:00", "13:00", true), ("overlapped-by", "11:00", "13:00", true), ("met-by", "12:00", "13:00", false),
            ("after", "13:00", "14:00", false), ("open start, ends at start", nil, "10:00", false), ("open start, ends inside", nil, "11:00", true),
            ("open end, starts at end", "12:00", nil, false), ("open end, starts inside", "11:00", nil, true), ("open both", nil, nil, true),
        ]
        let c = try client()
        for (name, from, to, overlaps) in cases {
            let r = try post("/cars/\(car)/allocations", #"{"from":\#(Self.at(from)),"to":\#(Self.at(to)),"allocation_type":"test"}"#, client: c)
            if overlaps {
                XCTAssertEqual(r.status, 409, "\(name): \(r.text)")
                let conflicts = try XCTUnwrap(json(r).objectValue?["conflicts"]?.arrayValue, name)
                XCTAssertEqual(conflicts.compactMap { $0.objectValue?["id"]?.stringValue }, [existingID], name)
            } else {
                XCTAssertEqual(r.status, 201, "\(name): \(r.text)")
                let id = try XCTUnwrap(json(r).objectValue?["id"]?.stringValue)
                XCTAssertEqual(r.header("Location"), "/cars/\(car)/allocations/\(id)")
                XCTAssertEqual(try c.request("DELETE", "/cars/\(car)/allocations/\(id)").status, 200, name)
            }
        }
        for reversed in [
            #"{"from":"2026-05-01T12:00:00Z","to":"2026-05-01T10:00:00Z","allocation_type":"x"}"#,
            #"{"from":"2026-05-01T12:00:00Z","to":"2026-05-01T12:00:00Z","allocation_type":"x"}"#,
        ] {
            XCTAssertEqual(try post("/cars/\(car)/allocations", reversed).status, 422)
        }
        XCTAssertEqual(try post("/cars/no-such-car/allocations", #"{"from":null,"to":null,"allocation_type":"x"}"#).status, 404)
    }

    func testAllocationsReadWindowAndDelete() throws {
        let truck = try createResource("trucks")
        var ids: [String] = []
        for (from, to) in [("2026-05-03T00:00:00Z", "2026-05-04T00:00:00Z"), ("2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z")] {
            let r = try post("/trucks/\(truck)/allocations", #"{"from":"\#(from)","to":"\#(to)","allocation_type":"hire","description":"d","data":{"po":"42"}}"#)
            XCTAssertEqual(r.status, 201, r.text)
            ids.append(try XCTUnwrap(json(r).objectValue?["id"]?.stringValue))
        }
        let guide = try post("/trucks/\(truck)/allocations", #"{"from_datetime":"2026-06-01T00:00:00","to_infinity":true,"allocation_type":"lease","dump":{"k":1}}"#)
        XCTAssertEqual(guide.status, 201, guide.text)
        XCTAssertEqual(try json(guide).objectValue?["to"], .null)
        let c = try client()
        let all = try XCTUnwrap(json(try c.request("GET", "/trucks/\(truck)/allocations")).arrayValue)
        XCTAssertEqual(all.compactMap { $0.objectValue?["from"]?.stringValue }, ["2026-05-01T00:00:00Z", "2026-05-03T00:00:00Z", "2026-06-01T00:00:00Z"], "sorted by start")
        let window = try XCTUnwrap(json(try c.request("GET", "/trucks/\(truck)/allocations?from=2026-05-02T12:00:00Z&to=2026-05-05T00:00:00Z")).arrayValue)
        XCTAssertEqual(window.compactMap { $0.objectValue?["id"]?.stringValue }, [ids[0]])
        let one = try c.request("GET", "/trucks/\(truck)/allocations/\(ids[1])")
        XCTAssertEqual(try json(one).objectValue?["data"], .object(JSONObject([JSONField("po", .string("42"))])))
        XCTAssertEqual(try c.request("DELETE", "/trucks/\(truck)/allocations/\(ids[1])").status, 200)
        XCTAssertEqual(try c.request("GET", "/trucks/\(truck)/allocations/\(ids[1])").status, 404)
        XCTAssertEqual(try c.request("DELETE", "/trucks/\(truck)/allocations/\(ids[1])").status, 404)
        XCTAssertEqual(try c.request("DELETE", "/trucks/\(truck)").status, 200, "decommissioning removes the allocations too")
        XCTAssertEqual(try c.request("GET", "/trucks/\(truck)/allocations").status, 404)
    }

    func testAvailabilitySearch() throws {
        let free = try createResource("lorries", name: "Free")
        let busy = try createResource("lorries", name: "Busy")
        let later = try createResource("lorries", name: "Later")
        XCTAssertEqual(try post("/lorries/\(busy)/allocations", #"{"from":"2027-01-10T00:00:00Z","to":"2027-01-20T00:00:00Z","allocation_type":"x"}"#).status, 201)
        XCTAssertEqual(try post("/lorries/\(later)/allocations", #"{"from":"2027-02-01T00:00:00Z","to":null,"allocation_type":"x"}"#).status, 201)
        func available(_ query: String) throws -> Set<String> {
            let r = try client().request("GET", "/lorries?limit=1000&" + query)
            XCTAssertEqual(r.status, 200, r.text)
            return Set(try XCTUnwrap(json(r).arrayValue).compactMap { $0.objectValue?["id"]?.stringValue }).intersection([free, busy, later])
        }
        XCTAssertEqual(try available("available_from=2027-01-15T00:00:00Z&available_to=2027-01-16T00:00:00Z"), [free, later])
        XCTAssertEqual(try available("available_from=2027-01-20T00:00:00Z&available_to=2027-02-01T00:00:00Z"), [free, busy, later], "touching is free")
        XCTAssertEqual(try available("available_from=2027-03-01T00:00:00Z"), [free, busy], "open end")
        XCTAssertEqual(try available("available_to=2027-01-11T00:00:00Z"), [free, later], "open start")
        XCTAssertEqual(try available("available_from=2027-01-15T00:00:00Z&available_to=2027-01-15T00:00:00Z"), [free, busy, later], "an empty window: all free")
        XCTAssertEqual(try available("available_from=2027-02-01T00:00:00Z&available_to=2027-01-01T00:00:00Z"), [free, busy, later], "reversed: empty")
        let sorted = try XCTUnwrap(json(try client().request("GET", "/lorries?sortasc=name&sortdesc=created_at&limit=1000")).arrayValue)
        let names = sorted.compactMap { $0.objectValue?["name"]?.stringValue }
        XCTAssertEqual(names, names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "sorted by name first")
    }

    /// Issue 17's free/busy: GET /availability answers, per resource of the chosen types (in the
    /// kinds' order, then by name, then id), its allocations overlapping the window, paged over
    /// resources with X-Total-Count and Link; every page joined is the whole list.
    func testFleetAvailabilityInOneCall() throws {
        let truck = try createResource("trucks", name: "T-avail")
        let lorryA = try createResource("lorries", name: "A-avail"), lorryB = try createResource("lorries", name: "B-avail")
        let hire = try json(try post("/lorries/\(lorryA)/allocations", #"{"from":"2027-03-01T09:00:00Z","to":"2027-03-01T17:00:00Z","allocation_type":"hire"}"#))
        XCTAssertEqual(try post("/lorries/\(lorryA)/allocations", #"{"from":"2027-03-02T09:00:00Z","to":null,"allocation_type":"lease"}"#).status, 201)
        XCTAssertEqual(try post("/trucks/\(truck)/allocations", #"{"from":"2027-02-28T00:00:00Z","to":"2027-03-01T00:00:00Z","allocation_type":"x"}"#).status, 201)
        let window = "from=2027-03-01T00:00:00Z&to=2027-03-03T00:00:00Z"
        func rows(_ query: String) throws -> (total: String?, rows: [JSONObject], link: String) {
            let r = try client().request("GET", "/availability?" + query)
            XCTAssertEqual(r.status, 200, r.text)
            return (r.header("X-Total-Count"), (try json(r).arrayValue ?? []).compactMap(\.objectValue), r.header("Link") ?? "")
        }
        let all = try rows("types=lorry,truck&limit=1000&" + window)
        let lorries = try client().request("GET", "/lorries?limit=1").header("X-Total-Count").flatMap(Int.init) ?? -1
        let trucks = try client().request("GET", "/trucks?limit=1").header("X-Total-Count").flatMap(Int.init) ?? -1
        XCTAssertEqual(all.total, String(lorries + trucks))
        let ids = all.rows.compactMap { $0["resource"]?.objectValue?["id"]?.stringValue }
        let types = all.rows.compactMap { $0["resource"]?.objectValue?["type"]?.stringValue }
        XCTAssertEqual(types, types.sorted { ($0 == "lorry" ? 0 : 1) < ($1 == "lorry" ? 0 : 1) }, "lorries first, as /resource-kinds orders them")
        let mine = [lorryA, lorryB, truck].compactMap { ids.firstIndex(of: $0) }
        XCTAssertEqual(mine, mine.sorted(), "by name within a type")
        func busy(_ id: String) -> [JSONObject] {
            all.rows.first { $0["resource"]?.objectValue?["id"]?.stringValue == id }?["busy"]?.arrayValue?.compactMap(\.objectValue) ?? []
        }
        XCTAssertEqual(busy(lorryA).map { $0["allocation_type"]?.stringValue }, ["hire", "lease"])
        XCTAssertEqual(busy(lorryA).first?["allocation_id"]?.stringValue, hire.objectValue?["id"]?.stringValue)
        XCTAssertEqual(busy(lorryA).first?["status"]?.stringValue, "confirmed")
        XCTAssertEqual(busy(lorryA).last?["to"], .null, "an open end stays open")
        XCTAssertEqual(busy(lorryB).count, 0)
        XCTAssertEqual(busy(truck).count, 0, "an allocation that ends as the window opens is not busy in it")
        // Pages of 2 joined are the whole list, in the same order.
        var paged: [String] = []
        var skip = 0
        while skip < all.rows.count {
            let page = try rows("types=lorry,truck&limit=2&skip=\(skip)&" + window)
            XCTAssertTrue(page.link.contains(#"rel="first""#), page.link)
            paged += page.rows.compactMap { $0["resource"]?.objectValue?["id"]?.stringValue }
            skip += 2
        }
        XCTAssertEqual(paged, ids)
        XCTAssertEqual(try rows("types=truck&limit=1000&" + window).rows.count, trucks)
        XCTAssertEqual(try client().request("GET", "/availability?types=bus").status, 400)
        // Pages of 2 by cursor, following Link rel="next", are the whole list too.
        var walked: [String] = []
        var query = "types=lorry,truck&limit=2&cursor=&" + window
        for _ in 0..<1000 {
            let page = try rows(query)
            walked += page.rows.compactMap { $0["resource"]?.objectValue?["id"]?.stringValue }
            guard let next = page.link.split(separator: ",").first(where: { $0.contains(#"rel="next""#) }) else { break }
            let target = next.split(separator: "<")[1].split(separator: ">")[0]
            query = String(target.split(separator: "?", maxSplits: 1)[1])
        }
        XCTAssertEqual(walked, ids, "the cursor walk sees every resource once, in order")
        XCTAssertEqual(try client().request("GET", "/availability?cursor=x").status, 400, "a cursor this API did not issue")
        XCTAssertEqual(try client().request("GET", "/availability?cursor=&skip=2").status, 400, "cursor or skip, not both")
    }

    /// Many clients race for overlapping slots on a few cars. Afterwards the stored allocations never
    /// overlap, every 201 is stored, and every 409 names allocations that really conflict.
    func testConcurrentBookingsNeverOverlap() throws {
        let cars = try (0..<3).map { _ in try createResource() }
        let outcomes = try InventoryRace.run(ports: [fixture.server.port], cars: cars, workers: 12, attempts: 25)
        try InventoryRace.verify(outcomes, cars: cars, port: fixture.server.port)
    }
}
