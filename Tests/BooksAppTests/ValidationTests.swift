import JSON
import XCTest

@testable import BooksApp

final class ValidationTests: XCTestCase {
    let validator = BookValidator(maxDocumentBytes: 16 * 1024)

    private func body(_ json: String) -> JSONValue { try! JSONParser.parse(Array(json.utf8)) }

    private func fields(_ result: Result<JSONObject, ValidationErrors>) -> [String] {
        if case .failure(let e) = result { return e.list.map(\.field) }
        return []
    }

    func testNormalisesANewBook() throws {
        let result = validator.newBook(body(#"{"read":1,"score":"8","author":"A","title":"T","year":1999.0,"tags":["x"]}"#), id: "abc")
        let book = try result.get()
        XCTAssertEqual(
            String(decoding: JSONWriter.encode(.object(book)), as: UTF8.self),
            #"{"id":"abc","title":"T","author":"A","year":1999,"score":8,"read":true,"tags":["x"]}"#)
        let defaults = try validator.newBook(body(#"{"title":"T","author":"A"}"#), id: "x").get()
        XCTAssertEqual(defaults["score"], .int(-1))
        XCTAssertEqual(defaults["read"], .bool(false))
    }

    func testRejectsEachInvalidField() {
        let cases: [(String, [String])] = [
            (#"{}"#, ["title", "author"]),
            (#"{"title":"","author":"   "}"#, ["title", "author"]),
            (#"{"title":{"$gt":""},"author":["a"]}"#, ["title", "author"]),
            (#"{"title":"T","author":"A","score":11}"#, ["score"]),
            (#"{"title":"T","author":"A","score":-2}"#, ["score"]),
            (#"{"title":"T","author":"A","score":"8.5"}"#, ["score"]),
            (#"{"title":"T","author":"A","score":true}"#, ["score"]),
            (#"{"title":"T","author":"A","read":2}"#, ["read"]),
            (#"{"title":"T","author":"A","read":"yes"}"#, ["read"]),
            (#"{"title":"T","author":"A","year":"1999"}"#, ["year"]),
            (#"{"title":"T","author":"A","year":1.5}"#, ["year"]),
            (#"{"title":"T","author":"A","year":100000}"#, ["year"]),
            (#"{"title":"T","author":"A","id":"mine"}"#, ["id"]),
            (#"{"title":"T","author":"A","$set":{"x":1}}"#, ["$set"]),
            (#"{"title":"T","author":"A","a.b":1}"#, ["a.b"]),
            (#"{"title":"T","author":"A","_id":1}"#, ["_id"]),
            (#"{"title":"T","author":"A","nested":{"ok":{"$bad":1}}}"#, ["nested.ok.$bad"]),
            (#"{"title":"T","author":"A","list":[{"x.y":1}]}"#, ["list[0].x.y"]),
            (#"{"title":"T","author":"A","":1}"#, [""]),
            (#"{"title":"T","author":"A","k\u0000":1}"#, ["k\u{0}"]),
        ]
        for (json, expected) in cases {
            XCTAssertEqual(fields(validator.newBook(body(json), id: "x")), expected, json)
        }
        XCTAssertEqual(fields(validator.newBook(.array([]), id: "x")), ["(body)"])
        let long = String(repeating: "é", count: 301)
        XCTAssertEqual(fields(validator.newBook(body(#"{"title":"\#(long)","author":"A"}"#), id: "x")), ["title"])
        let ok300 = String(repeating: "é", count: 300)
        XCTAssertEqual(fields(validator.newBook(body(#"{"title":"\#(ok300)","author":"A"}"#), id: "x")), [])
    }

    func testDocumentSizeLimit() {
        let small = BookValidator(maxDocumentBytes: 300)
        let big = String(repeating: "x", count: 400)
        XCTAssertEqual(fields(small.newBook(body(#"{"title":"T","author":"A","notes":"\#(big)"}"#), id: "x")), ["(document)"])
    }

    func testPutIsSetSemantics() throws {
        let patch = try validator.replaceFields(body(#"{"score":"5","year":null,"extra":null,"id":"b1"}"#), id: "b1").get()
        XCTAssertEqual(patch.operations, [.set("score", .int(5)), .remove("year"), .set("extra", .null)])
        if case .failure(let e) = validator.replaceFields(body(#"{"id":"other","title":null}"#), id: "b1") {
            XCTAssertEqual(e.list.map(\.field), ["id", "title"])
        } else {
            XCTFail("accepted")
        }
    }

    func testMergePatchSemantics() throws {
        let patch = try validator.mergePatch(body(#"{"year":null,"extra":null,"meta":{"a":null,"b":{"c":1}}}"#), id: "b1").get()
        var doc = try JSONParser.parse(Array(#"{"id":"b1","title":"T","year":1,"extra":2,"meta":{"a":1,"keep":true}}"#.utf8)).objectValue!
        patch.apply(to: &doc)
        XCTAssertEqual(String(decoding: JSONWriter.encode(.object(doc)), as: UTF8.self), #"{"id":"b1","title":"T","meta":{"keep":true,"b":{"c":1}}}"#)
        if case .failure(let e) = validator.mergePatch(body(#"{"title":null,"score":null,"read":null}"#), id: "b1") {
            XCTAssertEqual(e.list.map(\.field), ["title", "score", "read"])
        } else {
            XCTFail("accepted removal of required fields")
        }
    }

    func testETags() {
        let tag = ETag.of(Array("{}".utf8))
        XCTAssertEqual(tag.count, 18)
        XCTAssertFalse(ETag.noneMatch(tag, current: tag))
        XCTAssertFalse(ETag.noneMatch("W/\(tag)", current: tag), "If-None-Match compares weakly")
        XCTAssertFalse(ETag.noneMatch("*", current: tag))
        XCTAssertTrue(ETag.noneMatch("\"other\", \"x\"", current: tag))
        XCTAssertTrue(ETag.matches("\"a\", \(tag)", current: tag))
        XCTAssertFalse(ETag.matches("W/\(tag)", current: tag), "If-Match compares strongly")
        XCTAssertNotEqual(ETag.of(Array("{\"a\":1}".utf8)), tag)
    }
}
