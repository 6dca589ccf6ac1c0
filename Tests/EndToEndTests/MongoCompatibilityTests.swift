import Foundation
import JSON
import MongoBridge
import TestSupport
import XCTest

/// MongoDB as the original app left it, and the limits around it.
final class MongoCompatibilityTests: XCTestCase {
    /// The books exactly as `mongosh rawdata/book-data-to-insert.js` stores them: `read` as 1 or 0.
    func testWorksOnADatabaseSeededByTheOriginalScript() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 2)
        try pool.collection("books") { (c) throws(MongoError) in
            try c.insertOne([
                "id": .string("1"), "title": .string("The Last Man"), "author": .string("Mary Shelley"),
                "year": .int32(1826), "score": .int32(8), "read": .int32(1),
            ])
            try c.insertOne([
                "id": .string("2"), "title": .string("Unread"), "author": .string("Someone"),
                "year": .int32(1900), "score": .int32(-1), "read": .int32(0),
            ])
        }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/books/1").text, #"{"id":"1","title":"The Last Man","author":"Mary Shelley","year":1826,"score":8,"read":true}"#)
        let read = try c.request("GET", "/books?read=true")
        XCTAssertEqual(read.header("X-Total-Count"), "1")
        XCTAssertTrue(read.text.contains(#""id":"1""#))
        XCTAssertEqual(try c.request("GET", "/books?read=false").header("X-Total-Count"), "1")
        // The unique index on id exists once the API has started.
        let duplicate = Result { () throws -> Void in
            try pool.collection("books") { (c) throws(MongoError) in try c.insertOne(["id": .string("1")]) }
        }
        guard case .failure(let error) = duplicate, case .duplicateKey? = error as? MongoError else { return XCTFail("no unique index on id") }
    }

    /// Issue 14: an unfiltered full page counts from collection metadata (the `count` command),
    /// `Prefer: count=exact` forces countDocuments (an aggregate), `none` sends no count at all,
    /// and a filtered list counts with countDocuments on its filter.
    func testCountPreferenceDecidesTheCountCommand() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        for i in 0..<5 { XCTAssertEqual(try c.request("POST", "/books", headers: [("Content-Type", "application/json")], body: #"{"title":"T\#(i)","author":"A"}"#).status, 201) }
        _ = mongo.takeCommands()
        let counts = { mongo.takeCommands().map(\.name).filter { $0 == "count" || $0 == "aggregate" } }
        let plain = try c.request("GET", "/books?limit=2")
        XCTAssertEqual(plain.header("X-Total-Count"), "5")
        XCTAssertNil(plain.header("Preference-Applied"))
        XCTAssertEqual(counts(), ["count"], "metadata count, no scan")
        let exact = try c.request("GET", "/books?limit=2", headers: [("Prefer", "count=exact")])
        XCTAssertEqual(exact.header("X-Total-Count"), "5")
        XCTAssertEqual(exact.header("Preference-Applied"), "count=exact")
        XCTAssertEqual(counts(), ["aggregate"], "countDocuments")
        let none = try c.request("GET", "/books?limit=2", headers: [("Prefer", "return=minimal, count=none")])
        XCTAssertNil(none.header("X-Total-Count"))
        XCTAssertEqual(none.header("Preference-Applied"), "count=none")
        XCTAssertTrue(none.header("Link")?.contains(#"rel="next""#) == true && none.header("Link")?.contains(#"rel="last""#) == false, none.header("Link") ?? "")
        XCTAssertEqual(counts(), [], "no count command")
        XCTAssertEqual(try c.request("GET", "/books?limit=2&author=A").header("X-Total-Count"), "5")
        XCTAssertEqual(counts(), ["aggregate"], "a filtered list counts its matches")
    }

    func testSecretsNeverReachTheLog() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": "mongodb://booksuser:s3cr3tpassw0rd@127.0.0.1:\(mongo.port)/bookdata?serverSelectionTimeoutMS=500"])
        _ = try api.client().request("GET", "/books")  // authentication fails against the test server: logged, and answered
        _ = try api.client().request("GET", "/readyz")
        api.stop()
        XCTAssertTrue(api.log.contains("mongodb://***@127.0.0.1"), api.log)
        XCTAssertFalse(api.log.contains("s3cr3tpassw0rd"), api.log)
        XCTAssertFalse(api.log.contains("booksuser"), api.log)
        let bad = try ServerProcess(environment: ["MONGODB_URL": "mongodb://u:hunter2@host:notaport/db"], waitForListening: false)
        XCTAssertEqual(bad.waitForExit(), 2)
        XCTAssertTrue(bad.log.contains("MONGODB_URL"), bad.log)
        XCTAssertFalse(bad.log.contains("hunter2"), bad.log)
    }

    func testExhaustedWorkPoolAnswers503WithRetryAfter() throws {
        let mongo = try MongoTestServer(delayMS: 1500)
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url, "WORKER_THREADS": "1", "WORK_QUEUE_TIMEOUT": "0.3"])
        defer { api.stop() }
        let clients = try (0..<3).map { _ in try api.client(timeoutSeconds: 15) }
        for c in clients { c.send("GET /books/1 HTTP/1.1\r\nHost: t\r\n\r\n") }
        let statuses = try clients.map { try $0.readResponse() }
        XCTAssertEqual(statuses.filter { $0.status == 503 }.count, 2, statuses.map(\.text).joined(separator: "\n"))
        XCTAssertTrue(statuses.filter { $0.status == 503 }.allSatisfy { $0.header("Retry-After") == "1" })
        XCTAssertEqual(try api.client().request("GET", "/healthz").status, 200)
    }
}
