import Foundation
import JSON
import TestSupport
import XCTest

/// Issue 18: POST /books with an array. Validated whole first; written all or none on the embedded
/// store (one journal group); on MongoDB without a transaction, in order, the answer naming what
/// was written so the rest can be sent again (client ids make that safe).
final class BatchBooksTests: XCTestCase {
    private let json = [("Content-Type", "application/json")]

    private func books(_ ids: [String]) -> String {
        "[" + ids.map { #"{"id":"\#($0)","title":"Batch \#($0)","author":"B. Atch","year":2001}"# }.joined(separator: ",") + "]"
    }

    func testABatchOfBooks() throws {
        let store = try StoreUnderTest()
        defer { _ = store.stop() }
        let c = try store.server.client()
        let made = try c.request("POST", "/books", headers: json, body: books(["b-1", "b-2", "b-3"]))
        XCTAssertEqual(made.status, 201, made.text)
        XCTAssertEqual(made.text, #"{"Inserted":{"ids":["b-1","b-2","b-3"]}}"#)
        XCTAssertEqual(try JSONParser.parse(try c.request("GET", "/books/b-2").body).objectValue?["year"], .int(2001))
        let generated = try c.request("POST", "/books", headers: json, body: #"[{"title":"No id","author":"A"},{"title":"Nor this","author":"A"}]"#)
        XCTAssertEqual(try JSONParser.parse(generated.body).objectValue?["Inserted"]?.objectValue?["ids"]?.arrayValue?.count, 2, "the server makes the ids")

        // Invalid items: 422 naming each, nothing written.
        let invalid = try c.request(
            "POST", "/books", headers: json, body: #"[{"id":"b-9","title":"ok","author":"A"},{"id":"b-9","title":"","author":"A"},{"id":"x/y","title":"t","author":"a"}]"#)
        XCTAssertEqual(invalid.status, 422, invalid.text)
        let fields = Set(try JSONParser.parse(invalid.body).objectValue?["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue } ?? [])
        XCTAssertEqual(fields, ["[1].id", "[1].title", "[2].id"])
        XCTAssertEqual(try c.request("GET", "/books/b-9").status, 404)
        XCTAssertEqual(try c.request("POST", "/books", headers: json, body: "[]").status, 422)

        // An id taken in the middle of a batch.
        let clash = try c.request("POST", "/books", headers: json, body: books(["c-1", "b-2", "c-3"]))
        XCTAssertEqual(clash.status, 409, clash.text)
        let problem = try XCTUnwrap(JSONParser.parse(clash.body).objectValue)
        if StoreUnderTest.onMongo {
            XCTAssertEqual(problem["written"], .array([.string("c-1")]), "in order, up to the failure")
            XCTAssertEqual(problem["failed"]?.objectValue?["index"], .int(1))
            XCTAssertEqual(try c.request("GET", "/books/c-1").status, 200)
            XCTAssertEqual(try c.request("GET", "/books/c-3").status, 404, "nothing after the failure")
            let rest = try c.request("POST", "/books", headers: json, body: books(["c-3"]))
            XCTAssertEqual(rest.status, 201, "the rest, sent again: \(rest.text)")
        } else {
            XCTAssertEqual(problem["existing"], .array([.string("b-2")]))
            XCTAssertEqual(try c.request("GET", "/books/c-1").status, 404, "all or none")
            XCTAssertEqual(try c.request("GET", "/books/c-3").status, 404)
        }
    }
}
