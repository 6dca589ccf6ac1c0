import Foundation
import JSON
import TestSupport
import XCTest

/// The /books contract, end to end over real sockets against the real binary, on whichever store
/// `StoreUnderTest` selects: ./scripts/test runs it on the embedded store and again on MongoDB.
final class BooksContractTests: XCTestCase {
    static let shared = SharedFixture { try StoreUnderTest(environment: ["CORS_ORIGINS": "http://spa.example"]) }
    var fixture: StoreUnderTest!

    override func setUpWithError() throws { fixture = try Self.shared.get() }

    override class func tearDown() {
        if let fixture = shared.started { XCTAssertEqual(fixture.stop(), 0, "SIGTERM must exit 0") }
        super.tearDown()
    }

    var server: ServerProcess { fixture.server }

    private func client() throws -> RawHTTPClient { try server.client() }

    private func json(_ response: RawHTTPClient.Response) throws -> JSONValue { try JSONParser.parse(response.body) }

    private func createBook(_ body: String) throws -> String {
        let r = try client().request("POST", "/books", headers: [("Content-Type", "application/json")], body: body)
        XCTAssertEqual(r.status, 201, r.text)
        return try XCTUnwrap(json(r).objectValue?["Inserted"]?.objectValue?["id"]?.stringValue)
    }

    /// The sample books sorted as the API must sort them: by author, ties by id (byte order).
    private func expectedFirstPage() throws -> [String] {
        let script = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ServerProcess.packageRoot + "/rawdata/book-data-to-insert.js")))
        let start = try XCTUnwrap(String(decoding: script, as: UTF8.self).utf8.firstRange(of: "insertMany(".utf8)).upperBound
        let offset = String(decoding: script, as: UTF8.self).utf8.distance(from: String(decoding: script, as: UTF8.self).utf8.startIndex, to: start)
        let books = try XCTUnwrap(try JSONParser.parsePrefix(script[offset...]).0.arrayValue)
        XCTAssertEqual(books.count, 42)
        let pairs = books.compactMap { b -> (String, String)? in
            guard let o = b.objectValue, let a = o["author"]?.stringValue, let id = o["id"]?.stringValue else { return nil }
            return (a, id)
        }
        return pairs.sorted { ($0.0.utf8.lexicographicallyPrecedes($1.0.utf8)) || ($0.0 == $1.0 && $0.1.utf8.lexicographicallyPrecedes($1.1.utf8)) }
            .prefix(8).map(\.1)
    }

    private func ids(_ r: RawHTTPClient.Response) throws -> [String] {
        try XCTUnwrap(json(r).arrayValue).compactMap { $0.objectValue?["id"]?.stringValue }
    }

    func testFirstPageIsWhatTheOriginalVueClientShows() throws {
        let r = try client().request("GET", "/books?skip=0&limit=8&sortasc=author")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("Content-Type"), "application/json")
        XCTAssertEqual(try ids(r), try expectedFirstPage())
        XCTAssertGreaterThanOrEqual(Int(r.header("X-Total-Count") ?? "") ?? 0, 42)
        let link = try XCTUnwrap(r.header("Link"))
        XCTAssertTrue(link.contains(#"</books?sortasc=author&skip=8&limit=8>; rel="next""#), link)
        XCTAssertTrue(link.contains(#"rel="first""#) && !link.contains(#"rel="prev""#), link)
        let first = try XCTUnwrap(json(r).arrayValue?.first?.objectValue)
        XCTAssertEqual(first.fields.map(\.key).prefix(3), ["id", "title", "author"])
        guard case .bool = first["read"] else { return XCTFail("read must be a boolean: \(r.text)") }
        guard case .int = first["score"] else { return XCTFail("score must be an integer: \(r.text)") }
    }

    func testFiltersAndPaging() throws {
        let c = try client()
        let wyndham = try c.request("GET", "/books?author=John+Wyndham&sortasc=year")
        XCTAssertEqual(wyndham.status, 200)
        XCTAssertGreaterThanOrEqual(try ids(wyndham).count, 2)
        XCTAssertEqual(wyndham.header("X-Total-Count"), String(try ids(wyndham).count))
        let years = try XCTUnwrap(json(wyndham).arrayValue).compactMap { $0.objectValue?["year"] }
        XCTAssertEqual(
            years,
            years.sorted {
                if case .int(let a) = $0, case .int(let b) = $1 { return a < b }; return false
            })
        let search = try c.request("GET", "/books?q=TRIFFIDS")
        XCTAssertEqual(try ids(search), ["4"])
        let unread = try c.request("GET", "/books?read=false&limit=100")
        XCTAssertTrue(try XCTUnwrap(json(unread).arrayValue).allSatisfy { $0.objectValue?["read"] == .bool(false) })
        let range = try c.request("GET", "/books?year_gte=1950&year_lte=1959&limit=100")
        for book in try XCTUnwrap(json(range).arrayValue) {
            guard case .int(let y)? = book.objectValue?["year"] else { return XCTFail("no year") }
            XCTAssertTrue((1950...1959).contains(y))
        }
        let twoKeys = try XCTUnwrap(json(try c.request("GET", "/books?sortasc=author&sortdesc=year&limit=100")).arrayValue).compactMap { $0.objectValue }
        for (a, b) in zip(twoKeys, twoKeys.dropFirst()) where a["author"] == b["author"] {
            if case .int(let ya)? = a["year"], case .int(let yb)? = b["year"] { XCTAssertGreaterThanOrEqual(ya, yb, "year descending within an author") }
        }
        let page2 = try c.request("GET", "/books?sortdesc=title&skip=5&limit=5")
        let all = try c.request("GET", "/books?sortdesc=title&limit=10")
        XCTAssertEqual(try ids(page2), Array(try ids(all)[5..<10]))
        XCTAssertTrue(page2.header("Link")?.contains(#"rel="prev""#) ?? false)
    }

    /// `Prefer: count=none | exact | estimated` (RFC 7240) on both stores.
    func testCountPreference() throws {
        let c = try client()
        let none = try c.request("GET", "/books?limit=8&author=John%20Wyndham", headers: [("Prefer", "count=none")])
        XCTAssertEqual(none.status, 200)
        XCTAssertNil(none.header("X-Total-Count"))
        XCTAssertEqual(none.header("Preference-Applied"), "count=none")
        XCTAssertFalse(none.header("Link")?.contains(#"rel="last""#) ?? true)
        XCTAssertFalse(try json(none).arrayValue?.isEmpty ?? true)
        for preference in ["exact", "estimated"] {
            let r = try c.request("GET", "/books?limit=8&author=John%20Wyndham", headers: [("Prefer", "count=\(preference)")])
            XCTAssertEqual(r.header("Preference-Applied"), "count=" + preference)
            XCTAssertEqual(r.header("X-Total-Count"), try c.request("GET", "/books?limit=8&author=John%20Wyndham").header("X-Total-Count"))
        }
        XCTAssertNil(try c.request("GET", "/books", headers: [("Prefer", "count=bogus")]).header("Preference-Applied"), "an unknown value is ignored")
        let cars = try c.request("GET", "/cars", headers: [("Prefer", "count=none")])
        XCTAssertNil(cars.header("X-Total-Count"))
        XCTAssertEqual(cars.header("Preference-Applied"), "count=none")
    }

    /// Keyset paging: following rel="next" from `cursor=` visits every match once, in the same order
    /// as one big page, on both stores.
    func testCursorPagingVisitsEveryMatchInOrder() throws {
        let c = try client()
        for query in ["", "sortasc=title", "sortdesc=year", "sortasc=read", "sortdesc=score", "sortasc=year&author=John%20Wyndham", "sortdesc=id&read=true"] {
            let whole = try XCTUnwrap(json(try c.request("GET", "/books?limit=1000&" + query)).arrayValue).compactMap { $0.objectValue?["id"] }
            var walked: [JSONValue] = []
            var next: String? = "/books?limit=4&cursor=&" + query
            var pages = 0
            while let target = next, pages < 100 {
                let r = try c.request("GET", target)
                XCTAssertEqual(r.status, 200, "\(target): \(r.text)")
                walked += try XCTUnwrap(json(r).arrayValue).compactMap { $0.objectValue?["id"] }
                let link = r.header("Link") ?? ""
                XCTAssertTrue(link.contains(#"rel="first""#), link)
                XCTAssertFalse(link.contains(#"rel="last""#), link)
                next = link.split(separator: ",").first { $0.contains(#"rel="next""#) }.flatMap { part in
                    part.split(separator: "<").last?.split(separator: ">").first.map(String.init)
                }
                pages += 1
            }
            XCTAssertEqual(walked, whole, "cursor walk of ?\(query)")
        }
        XCTAssertEqual(try c.request("GET", "/books?cursor=zz").status, 400)
        XCTAssertEqual(try c.request("GET", "/books?cursor=&skip=4").status, 400)
        XCTAssertEqual(try c.request("GET", "/books?cursor=&sortasc=title&sortdesc=year").status, 400)
        let first = try c.request("GET", "/books?limit=2&cursor=&sortasc=title")
        let token = try XCTUnwrap(first.header("Link")?.components(separatedBy: "cursor=").last?.components(separatedBy: ">").first)
        let other = try c.request("GET", "/books?limit=2&sortasc=author&cursor=" + token)
        XCTAssertEqual(other.status, 400, "a cursor from another sort")
        XCTAssertTrue(other.text.contains("cursor"), other.text)
    }

    func testInvalidListParametersAre400NamingTheParameter() throws {
        let c = try client()
        for (query, name) in [
            ("limit=abc", "limit"), ("skip=-3", "skip"), ("sortasc=colour", "sortasc"), ("read=perhaps", "read"),
            ("year_gte=x", "year_gte"), ("limit=100000", "limit"), ("q=%zz", "q"),
        ] {
            let r = try c.request("GET", "/books?" + query)
            XCTAssertEqual(r.status, 400, query)
            XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
            XCTAssertTrue(r.text.contains(name), "\(query): \(r.text)")
        }
    }

    func testCreateReadUpdateDeleteLifecycle() throws {
        let c = try client()
        let created = try c.request(
            "POST", "/books", headers: [("Content-Type", "application/json; charset=utf-8")],
            body: #"{"title":"The Road","author":"Cormac McCarthy","year":2006,"score":"9","read":1,"tags":["grim"]}"#)
        XCTAssertEqual(created.status, 201, created.text)
        let id = try XCTUnwrap(json(created).objectValue?["Inserted"]?.objectValue?["id"]?.stringValue)
        XCTAssertNotNil(id.wholeMatch(of: /[0-9a-f]{32}/), id)
        XCTAssertEqual(created.header("Location"), "/books/\(id)")

        let got = try c.request("GET", "/books/\(id)")
        XCTAssertEqual(got.status, 200)
        XCTAssertEqual(got.text, #"{"id":"\#(id)","title":"The Road","author":"Cormac McCarthy","year":2006,"score":9,"read":true,"tags":["grim"]}"#)
        let etag = try XCTUnwrap(got.header("ETag"))
        XCTAssertEqual(try c.request("GET", "/books/\(id)", headers: [("If-None-Match", etag)]).status, 304)

        let stale = try c.request("PUT", "/books/\(id)", headers: [("Content-Type", "application/json"), ("If-Match", "\"0000000000000000\"")], body: #"{"score":3}"#)
        XCTAssertEqual(stale.status, 412)
        let put = try c.request("PUT", "/books/\(id)", headers: [("Content-Type", "application/json"), ("If-Match", etag)], body: #"{"score":3}"#)
        XCTAssertEqual(put.status, 200, put.text)
        XCTAssertEqual(put.text, #"{"Updated":{"id":"\#(id)"}}"#)
        XCTAssertNotEqual(put.header("ETag"), etag)

        let patch = try c.request("PATCH", "/books/\(id)", headers: [("Content-Type", "application/merge-patch+json")], body: #"{"year":null,"tags":null,"read":false}"#)
        XCTAssertEqual(patch.status, 200, patch.text)
        XCTAssertEqual(try c.request("GET", "/books/\(id)").text, #"{"id":"\#(id)","title":"The Road","author":"Cormac McCarthy","score":3,"read":false}"#)

        let deleted = try c.request("DELETE", "/books/\(id)")
        XCTAssertEqual(deleted.text, #"{"Deleted":{"id":"\#(id)"}}"#)
        XCTAssertEqual(try c.request("GET", "/books/\(id)").status, 404)
        XCTAssertEqual(try c.request("DELETE", "/books/\(id)").status, 404)
        XCTAssertEqual(try c.request("PUT", "/books/\(id)", headers: [("Content-Type", "application/json")], body: #"{"score":1}"#).status, 404)
    }

    func testValidationErrorsAre422WithFieldErrors() throws {
        let r = try client().request("POST", "/books", headers: [("Content-Type", "application/json")], body: #"{"title":"","author":{"$ne":null},"score":42,"$where":"1"}"#)
        XCTAssertEqual(r.status, 422)
        XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
        let problem = try XCTUnwrap(json(r).objectValue)
        XCTAssertEqual(problem["status"], .int(422))
        let fields = try XCTUnwrap(problem["errors"]?.arrayValue).compactMap { $0.objectValue?["field"]?.stringValue }
        XCTAssertEqual(fields, ["title", "author", "score", "$where"])
    }

    func testBodyErrors() throws {
        let c = try client()
        let cases: [(headers: [(String, String)], body: String, status: Int)] = [
            ([("Content-Type", "text/plain")], #"{"title":"a","author":"b"}"#, 415),
            ([], #"{"title":"a","author":"b"}"#, 415),
            ([("Content-Type", "application/json; charset=latin1")], #"{"title":"a","author":"b"}"#, 415),
            ([("Content-Type", "application/json")], #"{"title": "a", "#, 400),
            ([("Content-Type", "application/json")], "[" + String(repeating: "[", count: 5000), 400),
            ([("Content-Type", "application/json")], #"{"title":"a","author":"b","n":1e999}"#, 400),
            ([("Content-Type", "application/json")], #"{"title":"a","title":"b","author":"c"}"#, 400),
            ([("Content-Type", "application/json")], #"[1,2]"#, 422),
        ]
        for (headers, body, status) in cases {
            let r = try c.request("POST", "/books", headers: headers, body: body)
            XCTAssertEqual(r.status, status, "\(body.prefix(40)): \(r.text)")
            XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
        }
        c.send(
            Array("POST /books HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n".utf8)
                + Array(#"{"title":"#.utf8) + [0x22, 0xFF, 0xFE, 0x22] + Array(#","author":"x","pad":"...."}"#.utf8))
        let utf8 = try c.readResponse()
        XCTAssertEqual(utf8.status, 400)
        XCTAssertTrue(utf8.text.contains("UTF-8"), utf8.text)
    }

    func testRoutingErrors() throws {
        let c = try client()
        // Unknown API paths, missing assets and non-GET requests elsewhere are 404 problems; an
        // unknown GET app route (no file extension) is the single-page app's (history fallback).
        for (method, path) in [("GET", "/books/1/nope"), ("GET", "/cars/x/allocations/y/z"), ("GET", "/nope.json"), ("POST", "/nope")] {
            let missing = try c.request(method, path)
            XCTAssertEqual(missing.status, 404, "\(method) \(path)")
            XCTAssertEqual(missing.header("Content-Type"), "application/problem+json")
        }
        let wrong = try c.request("DELETE", "/books")
        XCTAssertEqual(wrong.status, 405)
        XCTAssertEqual(wrong.header("Allow"), "GET, HEAD, POST, OPTIONS")
        XCTAssertEqual(try c.request("GET", "/books/unknown-id").status, 404)
        let head = try c.request("HEAD", "/books/1")
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(head.body.isEmpty)
        XCTAssertEqual(head.header("Content-Length"), String(try c.request("GET", "/books/1").body.count))
    }

    func testCORS() throws {
        let c = try client()
        let preflight = try c.request("OPTIONS", "/books", headers: [("Origin", "http://spa.example"), ("Access-Control-Request-Method", "POST")])
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(preflight.header("Access-Control-Allow-Origin"), "http://spa.example")
        XCTAssertTrue(preflight.header("Access-Control-Allow-Methods")?.contains("POST") ?? false)
        let get = try c.request("GET", "/books?limit=1", headers: [("Origin", "http://spa.example")])
        XCTAssertEqual(get.header("Access-Control-Allow-Origin"), "http://spa.example")
        XCTAssertTrue(get.header("Access-Control-Expose-Headers")?.contains("X-Total-Count") ?? false)
        let other = try c.request("GET", "/books?limit=1", headers: [("Origin", "http://evil.example")])
        XCTAssertNil(other.header("Access-Control-Allow-Origin"))
    }

    func testOpenAPIDocumentIsServed() throws {
        let r = try client().request("GET", "/openapi.json")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(try json(r).objectValue?["openapi"]?.stringValue, "3.1.0")
    }

    func testHealth() throws {
        XCTAssertTrue(server.log.contains(StoreUnderTest.onMongo ? "store: MongoDB" : "store: embedded"), "wrong store: \(server.log)")
        let c = try client()
        XCTAssertEqual(try c.request("GET", "/healthz").status, 200)
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
    }

    func testKeepAlivePipeliningAndChunkedOverTheWire() throws {
        let c = try client()
        let chunks = [#"{"title":"Chunk","#, #""author":"Chunky"}"#].map { String($0.utf8.count, radix: 16) + "\r\n" + $0 + "\r\n" }.joined()
        c.send(
            "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nPOST /books HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunks + "0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
        XCTAssertEqual(try c.readResponse().status, 201)
        XCTAssertEqual(try c.readResponse().status, 200)
        c.send("POST /books HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 32\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 100)
        c.send(#"{"title":"Cont","author":"Inue"}"#)
        XCTAssertEqual(try c.readResponse().status, 201)
    }

    func testMalformedFramingGets400AndTheServerStaysUp() throws {
        for bad in [
            "GET / HTTP/1.1\r\n\r\n", "POST /books HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "GET /books HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n", "GET /\u{0}books HTTP/1.1\r\nHost: t\r\n\r\n",
        ] {
            let c = try client()
            c.send(bad)
            let r = try c.readResponse()
            XCTAssertEqual(r.status, 400, bad.debugDescription)
            XCTAssertEqual(r.header("Connection"), "close")
        }
        XCTAssertEqual(try client().request("GET", "/healthz").status, 200)
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
}
