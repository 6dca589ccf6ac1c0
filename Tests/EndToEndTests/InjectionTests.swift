import Foundation
import JSON
import TestSupport
import XCTest

/// No user value ever becomes a MongoDB operator or field path: `$` keys, dotted keys and operator
/// objects in every body field and query parameter are refused (or taken literally), and nothing
/// changes. ./scripts/test runs this on the embedded store and again on MongoDB.
final class InjectionTests: XCTestCase {
    static let shared = SharedFixture { try StoreUnderTest() }
    var fixture: StoreUnderTest!

    override func setUpWithError() throws { fixture = try Self.shared.get() }

    override class func tearDown() {
        if let fixture = shared.started { XCTAssertEqual(fixture.stop(), 0) }
        super.tearDown()
    }

    private let json = [("Content-Type", "application/json")]
    private func client() throws -> RawHTTPClient { try fixture.server.client() }

    private let operatorValues = [#"{"$gt":""}"#, #"{"$ne":null}"#, #"{"$where":"sleep(1000)"}"#, #"{"$regex":".*"}"#, #"[{"$gt":""}]"#]
    private let hostileKeys = ["$where", "$set", "a.b", "$", ".", "a.$", "$[]", "\u{0000}x"]

    /// Every failure must be a 4xx problem that names the field it refused.
    private func assertRefused(_ r: RawHTTPClient.Response, naming field: String? = nil, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue((400...499).contains(r.status), "\(what): \(r.status) \(r.text)", file: file, line: line)
        XCTAssertEqual(r.header("Content-Type"), "application/problem+json", what, file: file, line: line)
        if let field { XCTAssertTrue(r.text.contains(field), "\(what) should name \(field): \(r.text)", file: file, line: line) }
    }

    private func escaped(_ key: String) -> String { String(decoding: JSONWriter.encode(.string(key)), as: UTF8.self) }

    func testOperatorObjectsInEveryBookFieldAreRefused() throws {
        let c = try client()
        let before = try c.request("GET", "/books/1").text
        for field in ["title", "author", "year", "score", "read", "id"] {
            for value in operatorValues {
                let others = ["title": #""T""#, "author": #""A""#].filter { $0.key != field }.map { "\"\($0.key)\":\($0.value)" }
                let body = "{" + (others + ["\"\(field)\":\(value)"]).joined(separator: ",") + "}"
                assertRefused(try c.request("POST", "/books", headers: json, body: body), naming: field, "POST \(body)")
                assertRefused(try c.request("PUT", "/books/1", headers: json, body: "{\"\(field)\":\(value)}"), naming: field, "PUT \(field)=\(value)")
                assertRefused(try c.request("PATCH", "/books/1", headers: json, body: "{\"\(field)\":\(value)}"), naming: field, "PATCH \(field)=\(value)")
            }
        }
        XCTAssertEqual(try c.request("GET", "/books/1").text, before, "book 1 did not change")
    }

    func testHostileKeysAnywhereInABookAreRefused() throws {
        let c = try client()
        let before = try c.request("GET", "/books/1").text
        for key in hostileKeys {
            let k = escaped(key)
            for body in [
                #"{"title":"T","author":"A",\#(k):1}"#, #"{"title":"T","author":"A","extra":{\#(k):1}}"#,
                #"{"title":"T","author":"A","extra":[{"deep":{\#(k):true}}]}"#,
            ] {
                assertRefused(try c.request("POST", "/books", headers: json, body: body), "POST \(body)")
            }
            for method in ["PUT", "PATCH"] {
                assertRefused(try c.request(method, "/books/1", headers: json, body: "{\(k):{\"title\":\"X\"}}"), "\(method) key \(key)")
                assertRefused(try c.request(method, "/books/1", headers: json, body: #"{"extra":{\#(k):1}}"#), "\(method) nested \(key)")
            }
        }
        for update in [#"{"$set":{"title":"X"}}"#, #"{"$unset":{"title":""}}"#, #"{"$rename":{"title":"t"}}"#, #"{"title.$":"X"}"#] {
            assertRefused(try c.request("PUT", "/books/1", headers: json, body: update), "PUT \(update)")
        }
        XCTAssertEqual(try c.request("GET", "/books/1").text, before, "book 1 did not change")
        XCTAssertEqual(try c.request("GET", "/books?limit=1").header("X-Total-Count"), "42", "nothing was inserted")
    }

    func testQueryParametersAreValuesNeverOperators() throws {
        let c = try client()
        // Taken literally: no book has these authors or titles, so nothing matches.
        for literal in [#"{"$ne":""}"#, #"{"$gt":""}"#, ".*", "^", "a|b", "(", "\\", "$where", "x'||'1'=='1"] {
            let encoded = literal.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            for parameter in ["author", "q"] {
                let r = try c.request("GET", "/books?\(parameter)=\(encoded)")
                XCTAssertEqual(r.status, 200, "\(parameter)=\(literal): \(r.text)")
                XCTAssertEqual(r.header("X-Total-Count"), "0", "\(parameter)=\(literal) matches only itself, literally")
            }
        }
        // Typed parameters refuse anything that is not their type.
        for (parameter, value) in [
            ("read", #"{"$ne":null}"#), ("year_gte", #"{"$gt":0}"#), ("year_lte", "$lt"), ("skip", "{}"), ("limit", "[1]"),
            ("sortasc", "$natural"), ("sortasc", "title.x"), ("sortdesc", "$where"), ("sortdesc", "a.b"),
        ] {
            let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            assertRefused(try c.request("GET", "/books?\(parameter)=\(encoded)"), naming: parameter, "\(parameter)=\(value)")
        }
        // PHP/Rails-style bracket names are unknown names, refused (never nested operators).
        let brackets = try c.request("GET", "/books?author%5B%24ne%5D=x&limit=1")
        XCTAssertEqual(brackets.status, 400, brackets.text)
        XCTAssertTrue(brackets.text.contains("unknown query parameter"), brackets.text)
        // Ids in paths are values too.
        for id in [#"{"$ne":null}"#, "$where", "a.b", "..", "%00"] {
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            for path in ["/books/\(encoded)", "/cars/\(encoded)", "/cars/\(encoded)/allocations"] {
                let r = try c.request("GET", path)
                XCTAssertTrue(r.status == 404 || r.status == 400, "\(path): \(r.status)")
            }
            let delete = try c.request("DELETE", "/books/\(encoded)")
            XCTAssertTrue(delete.status == 404 || delete.status == 400, "DELETE \(id): \(delete.status)")
        }
        XCTAssertEqual(try c.request("GET", "/books?limit=1").header("X-Total-Count"), "42", "nothing was deleted")
    }

    /// A search made of every regex metacharacter finds the one book whose title holds it: taken
    /// literally, not as a pattern (a search that matched nothing would pass the test above too).
    func testASearchOfEveryRegexMetacharacterMatchesItLiterally() throws {
        let c = try client()
        let title = #"Odd .*+?^${}()|[]\/ title"#
        let body = String(decoding: JSONWriter.encode(.object(JSONObject([JSONField("title", .string(title)), JSONField("author", .string("Regex Tester"))]))), as: UTF8.self)
        let created = try c.request("POST", "/books", headers: json, body: body)
        XCTAssertEqual(created.status, 201, created.text)
        defer { _ = try? c.request("DELETE", created.header("Location") ?? "/books/none") }
        for q in [#".*+?^${}()|[]\/"#, #"ODD .*+?^${}()|[]\/ TITLE"#, #"$"#, #"\"#, #"[]"#, #"()"#, #"{}"#] {
            let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let r = try c.request("GET", "/books?q=\(encoded)")
            XCTAssertEqual(r.status, 200, "q=\(q): \(r.text)")
            XCTAssertEqual(r.header("X-Total-Count"), "1", "q=\(q) finds the one title holding it, case-insensitively: \(r.text)")
            XCTAssertTrue(r.text.contains("Regex Tester"), "q=\(q): \(r.text)")
        }
        XCTAssertEqual(
            try c.request("GET", "/books?q=" + ".*x".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!).header("X-Total-Count"), "0",
            "as a pattern .*x would match many titles; literally it matches none")
    }

    func testInventoryBodiesAndParametersRefuseOperators() throws {
        let c = try client()
        let created = try c.request("POST", "/trucks", headers: json, body: #"{"name":"Injection target"}"#)
        XCTAssertEqual(created.status, 201, created.text)
        let truck = try XCTUnwrap(created.header("Location"))
        for value in operatorValues {
            assertRefused(try c.request("POST", "/trucks", headers: json, body: #"{"name":\#(value)}"#), naming: "name", "POST name=\(value)")
            assertRefused(try c.request("PATCH", truck, headers: json, body: #"{"name":\#(value)}"#), naming: "name", "PATCH name=\(value)")
            for field in ["from", "to", "allocation_type", "description", "from_datetime"] {
                var object = ["\"from\":\"2031-01-01T00:00:00Z\"", "\"to\":\"2031-01-02T00:00:00Z\"", "\"allocation_type\":\"hire\""].filter { !$0.hasPrefix("\"\(field)\"") }
                object.append("\"\(field)\":\(value)")
                let body = "{" + object.joined(separator: ",") + "}"
                assertRefused(try c.request("POST", "\(truck)/allocations", headers: json, body: body), naming: field, "allocation \(body)")
            }
        }
        for key in hostileKeys {
            let k = escaped(key)
            assertRefused(try c.request("POST", "/trucks", headers: json, body: #"{"name":"n",\#(k):1}"#), "resource key \(key)")
            assertRefused(try c.request("PATCH", truck, headers: json, body: #"{\#(k):{"name":"x"}}"#), "rename key \(key)")
            let allocation = #"{"from":"2031-01-01T00:00:00Z","to":"2031-01-02T00:00:00Z","allocation_type":"hire","data":{\#(k):1}}"#
            assertRefused(try c.request("POST", "\(truck)/allocations", headers: json, body: allocation), naming: "data", "allocation data key \(key)")
            let top = #"{"from":"2031-01-01T00:00:00Z","to":"2031-01-02T00:00:00Z","allocation_type":"hire",\#(k):1}"#
            assertRefused(try c.request("POST", "\(truck)/allocations", headers: json, body: top), "allocation key \(key)")
        }
        for (path, parameter, value) in [
            ("\(truck)/allocations", "from", #"{"$gt":0}"#), ("\(truck)/allocations", "to", "$lt"),
            ("/trucks", "available_from", #"{"$ne":null}"#), ("/trucks", "available_to", "[1]"),
        ] {
            let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            assertRefused(try c.request("GET", "\(path)?\(parameter)=\(encoded)"), naming: parameter, "\(path) \(parameter)=\(value)")
        }
        let page = try c.request("GET", "\(truck)/allocations")
        XCTAssertEqual(page.text, "[]", "no allocation was booked")
        let resource = try c.request("GET", truck)
        XCTAssertTrue(resource.text.contains("\"Injection target\""), resource.text)
    }
}
