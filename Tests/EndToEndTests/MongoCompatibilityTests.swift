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

    /// Issue 14: every find and count carries allowDiskUse and maxTimeMS, and the sort of every
    /// single-key list (alone, or under read=) matches the key pattern of an index the API created.
    func testEveryListShapeSortsOnAnIndex() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url, "MONGODB_MAX_TIME_MS": "7000"])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        for i in 0..<3 { XCTAssertEqual(try c.request("POST", "/books", headers: [("Content-Type", "application/json")], body: #"{"title":"T\#(i)","author":"A"}"#).status, 201) }
        let created = mongo.takeCommands().filter { $0.name == "createIndexes" && $0.json.contains(#""collection": "books""#) }
        let patterns = created.flatMap { entry -> [[(String, Int)]] in
            let object = try? JSONParser.parse(Array(entry.json.utf8)).objectValue
            return (object?["indexes"]?.arrayValue ?? []).compactMap { index in
                index.objectValue?["key"]?.objectValue.map { key in key.map { ($0.key, Self.int($0.value)) } }
            }
        }
        XCTAssertFalse(patterns.isEmpty, "the books indexes were created")
        func served(_ sort: [(String, Int)], pinned: Set<String>) -> Bool {
            let reverse = sort.map { ($0.0, -$0.1) }
            return patterns.contains { pattern in
                var rest = pattern[...]
                while let first = rest.first, pinned.contains(first.0), rest.count > sort.count { rest = rest.dropFirst() }
                let head = Array(rest.prefix(sort.count))
                return head.elementsEqual(sort, by: ==) || head.elementsEqual(reverse, by: ==)
            }
        }
        var shapes: [(String, Set<String>)] = []
        for field in ["id", "title", "author", "year", "score", "read"] {
            shapes += [("sortasc=\(field)", []), ("sortdesc=\(field)", []), ("read=true&sortdesc=\(field)", ["read"]), ("year_gte=1900&sortasc=\(field)", [])]
        }
        for (query, pinned) in shapes where !(query.hasPrefix("read=") && query.hasSuffix("=read")) {
            XCTAssertEqual(try c.request("GET", "/books?limit=3&" + query).status, 200, query)
            let finds = mongo.takeCommands().filter { $0.name == "find" }
            guard let find = finds.last, let object = try? JSONParser.parse(Array(find.json.utf8)).objectValue else { XCTFail("no find for \(query)"); continue }
            XCTAssertEqual(object["allowDiskUse"], .bool(true), query)
            XCTAssertEqual(object["maxTimeMS"].map(Self.int), 7000, query)
            let sort = (object["sort"]?.objectValue ?? JSONObject()).map { ($0.key, Self.int($0.value)) }
            XCTAssertTrue(served(sort, pinned: pinned), "\(query): sort \(sort) matches no index pattern \(patterns)")
        }
        // A cursor page is a range filter on the sort's index, never a skip.
        let first = try c.request("GET", "/books?limit=1&cursor=&sortasc=title", headers: [("Prefer", "count=none")])
        let next = try XCTUnwrap(first.header("Link")?.components(separatedBy: "<").last?.components(separatedBy: ">").first)
        _ = mongo.takeCommands()
        XCTAssertEqual(try c.request("GET", next, headers: [("Prefer", "count=none")]).status, 200)
        let paged = mongo.takeCommands()
        XCTAssertEqual(paged.map(\.name), ["find"], "one find, no count")
        XCTAssertTrue(paged[0].json.contains(#""$or""#) && paged[0].json.contains(#""$gt""#), paged[0].json)
        XCTAssertFalse(paged[0].json.contains(#""skip""#), paged[0].json)
        _ = try c.request("GET", "/books?limit=1&read=false", headers: [("Prefer", "count=exact")])
        let counts = mongo.takeCommands().filter { $0.name == "aggregate" || $0.name == "count" }
        XCTAssertFalse(counts.isEmpty)
        for count in counts { XCTAssertTrue(count.json.contains(#""maxTimeMS": 7000"#), count.json) }
    }

    /// A sort no index provides, over more documents than a blocking sort may hold in memory,
    /// still answers: the API sends allowDiskUse (the test server refuses it otherwise, code 292).
    func testATwoKeySortOverManyBooksSpillsInsteadOfFailing() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 2)
        try pool.collection("books") { (c) throws(MongoError) in
            for i in 0..<2100 {
                try c.insertOne([
                    "id": .string(String(i)), "title": .string("T"), "author": .string("A\(i % 9)"), "year": .int32(Int32(1900 + i % 50)), "score": .int32(1), "read": .bool(false),
                ])
            }
        }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let r = try api.client().request("GET", "/books?limit=5&sortasc=author&sortdesc=year")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("X-Total-Count"), "2100")
    }

    /// A query past MONGODB_MAX_TIME_MS answers 504 problem+json (MaxTimeMSExpired, code 50).
    func testAQueryPastMaxTimeMSAnswers504() throws {
        let mongo = try MongoTestServer(delayMS: 400)
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url, "MONGODB_MAX_TIME_MS": "100"])
        defer { api.stop() }
        let r = try api.client().request("GET", "/books?limit=5")
        XCTAssertEqual(r.status, 504, r.text)
        XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
    }

    private static func int(_ value: JSONValue) -> Int {
        switch value {
        case .int(let i): return Int(i)
        case .double(let d): return Int(d)
        default: return 0
        }
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
