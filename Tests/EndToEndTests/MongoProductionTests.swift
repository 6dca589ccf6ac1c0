import Foundation
import JSON
import MongoBridge
import TestSupport
import XCTest

/// Issue 16 on the real binary: index refusals, write concern errors, the write concern sent,
/// reads that decide a write, the simple collation and legacy `read` values.
final class MongoProductionTests: XCTestCase {
    private let json = [("Content-Type", "application/json")]

    /// Duplicate ids already in `books`: the unique index cannot be built. That is a configuration
    /// error, logged once with its remedy and shown on /readyz, and inserts answer 503 with it,
    /// never a 409 naming E11000. Reads go on.
    func testARefusedIndexIsShownOnReadyzAndNeverBecomesA409() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        do {
            let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1)
            try pool.collection("books") { (c) throws(MongoError) in
                for _ in 0..<2 { try c.insertOne(["id": .string("twin"), "title": .string("T"), "author": .string("A")]) }
            }
        }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        let ready = try c.request("GET", "/readyz")
        XCTAssertEqual(ready.status, 503, ready.text)
        XCTAssertTrue(ready.text.contains("share an id") && ready.text.contains("$group"), ready.text)
        let post = try c.request("POST", "/books", headers: json, body: #"{"title":"New","author":"B"}"#)
        XCTAssertEqual(post.status, 503, post.text)
        XCTAssertEqual(post.header("Content-Type"), "application/problem+json")
        XCTAssertTrue(post.text.contains("share an id") && !post.text.contains("E11000"), post.text)
        let car = try c.request("POST", "/cars", headers: json, body: #"{"name":"C"}"#)
        XCTAssertEqual(car.status, 503, "inventory inserts need their unique index too: \(car.text)")
        XCTAssertEqual(try c.request("GET", "/books").header("X-Total-Count"), "2", "reads go on")
        _ = try c.request("GET", "/readyz")
        XCTAssertEqual(api.log.components(separatedBy: "MongoDB indexes: ").count - 1, 1, "logged once: \(api.log)")
    }

    /// A writeConcernError: the write was applied on the primary, but not confirmed. 64
    /// (wtimeout) answers 504, 100 answers 503; both say the outcome is unknown and how to find out.
    func testAWriteConcernErrorAnswersWithAnUnknownOutcome() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1)
        for (code, status) in [(64, 504), (100, 503)] {
            try Self.failCommand(
                pool, times: 1,
                [
                    "failCommands": .array([.string("insert")]),
                    "writeConcernError": .document(["code": .int32(Int32(code)), "errmsg": .string("waiting for replication timed out")]),
                ])
            let r = try c.request("POST", "/books", headers: json, body: #"{"title":"T","author":"A"}"#)
            XCTAssertEqual(r.status, status, r.text)
            XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
            XCTAssertTrue(r.text.contains("outcome is unknown") && r.text.contains("only if that answers 404"), r.text)
            XCTAssertNotNil(r.header("Retry-After"))
            // The detail names the new book's id, so the client can look before it repeats.
            let id = try XCTUnwrap(r.text.components(separatedBy: "GET /books/").dropFirst().first?.components(separatedBy: " ").first, r.text)
            XCTAssertEqual(try c.request("GET", "/books/\(id)").status, 200, "the write was applied on the primary")
        }
    }

    /// Writes carry w: majority with wtimeout = MONGODB_MAX_TIME_MS unless the URL sets w; a URL
    /// w without wtimeoutMS still gets the deadline. Every query carries the simple collation.
    func testWritesCarryMajorityWithADeadlineAndQueriesTheSimpleCollation() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        for (query, expected) in [("", #""w": "majority", "wtimeout": 2500"#), ("?w=1", #""w": 1, "wtimeout": 2500"#)] {
            let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url + query, "MONGODB_MAX_TIME_MS": "2500"])
            defer { api.stop() }
            let c = try api.client()
            XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
            _ = mongo.takeCommands()
            XCTAssertEqual(try c.request("POST", "/books", headers: json, body: #"{"title":"T","author":"A"}"#).status, 201)
            let insert = try XCTUnwrap(mongo.takeCommands().first { $0.name == "insert" })
            XCTAssertTrue(insert.json.contains(expected), "\(query): \(insert.json)")
            XCTAssertTrue(api.log.contains("MongoDB writes carry w="), api.log)
        }
        let unacknowledged = try ServerProcess(environment: ["MONGODB_URL": mongo.url + "?w=0"], waitForListening: false)
        XCTAssertEqual(unacknowledged.waitForExit(), 2, "w=0 cannot back a 2xx")
        XCTAssertTrue(unacknowledged.log.contains("w=0"), unacknowledged.log)
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        _ = try c.request("GET", "/books?limit=1")
        _ = try c.request("PATCH", "/books/none", headers: [("Content-Type", "application/merge-patch+json")], body: #"{"title":"X"}"#)
        let queries = mongo.takeCommands().filter { ["find", "aggregate", "count", "createIndexes"].contains($0.name) }
        XCTAssertGreaterThanOrEqual(Set(queries.map(\.name)).count, 3, queries.map(\.name).joined(separator: ","))
        for command in queries {
            XCTAssertTrue(command.json.contains(#""locale": "simple""#), command.json)
        }
    }

    /// With readPreference=secondaryPreferred in the URL, lists follow it, but the read a
    /// compare-and-swap starts from, and the one explaining a refused booking, go to the primary.
    func testReadsThatDecideAWriteGoToThePrimary() throws {
        let mongo = try MongoTestServer(replicaSet: "rs0")
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url + "&readPreference=secondaryPreferred"])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        let created = try c.request("POST", "/books", headers: json, body: #"{"title":"T","author":"A"}"#)
        XCTAssertEqual(created.status, 201)
        let id = try XCTUnwrap(created.header("Location")?.components(separatedBy: "/").last)
        _ = mongo.takeCommands()
        XCTAssertEqual(try c.request("GET", "/books?limit=1").status, 200)
        let list = try XCTUnwrap(mongo.takeCommands().first { $0.name == "find" })
        XCTAssertTrue(list.json.contains(#""mode": "secondaryPreferred""#), "a list follows the URL: \(list.json)")
        XCTAssertEqual(try c.request("PATCH", "/books/\(id)", headers: [("Content-Type", "application/merge-patch+json")], body: #"{"title":"U"}"#).status, 200)
        let casRead = try XCTUnwrap(mongo.takeCommands().first { $0.name == "find" })
        XCTAssertFalse(casRead.json.contains("secondaryPreferred"), "the compare-and-swap read goes to the primary: \(casRead.json)")
    }

    /// A primary that steps down under a burst of POSTs and bookings (PrimarySteppedDown, 189,
    /// labelled RetryableWriteError, as mongod answers then): libmongoc retries each write once on
    /// the new primary, so every one is acknowledged, stored once, and none is lost.
    func testAStepDownMidBurstLosesAndDuplicatesNothing() throws {
        let mongo = try MongoTestServer(replicaSet: "rs0")
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        let car = try c.request("POST", "/cars", headers: json, body: #"{"name":"C"}"#)
        let carID = try XCTUnwrap(car.header("Location")?.components(separatedBy: "/").last, car.text)
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1)
        func stepDown(on command: String) throws {
            try Self.failCommand(
                pool, times: 1,
                [
                    "failCommands": .array([.string(command)]), "errorCode": .int32(189),
                    "errorLabels": .array([.string("RetryableWriteError")]),
                ])
        }
        _ = mongo.takeCommands()
        for i in 0..<10 {
            try stepDown(on: "insert")
            XCTAssertEqual(try c.request("POST", "/books", headers: json, body: #"{"title":"Burst \#(i)","author":"A"}"#).status, 201)
            try stepDown(on: "findAndModify")
            let day = String(format: "2030-01-%02d", i + 1)
            let booking = #"{"from":"\#(day)T00:00:00Z","to":"\#(day)T12:00:00Z","allocation_type":"hire"}"#
            XCTAssertEqual(try c.request("POST", "/cars/\(carID)/allocations", headers: json, body: booking).status, 201)
        }
        let sent = mongo.takeCommands()
        XCTAssertEqual(sent.filter { $0.name == "insert" && $0.json.contains(#""collection": "books""#) }.count, 20, "each insert sent twice: refused, then retried")
        XCTAssertTrue(sent.contains { $0.name == "insert" && $0.json.contains("txnNumber") }, "retryable writes carry a txnNumber")
        XCTAssertEqual(try c.request("GET", "/books?q=Burst").header("X-Total-Count"), "10", "each stored once")
        let allocations = try JSONParser.parse(Array(try c.request("GET", "/cars/\(carID)/allocations").text.utf8)).arrayValue ?? []
        XCTAssertEqual(allocations.count, 10)
    }

    /// A mongodb+srv:// URL whose SRV lookup fails at start (DNS down, or not there yet): the
    /// server starts, says so once, answers /readyz and the API with 503, and keeps retrying.
    /// Any other bad URL still stops it with exit code 2.
    func testAFailedSRVLookupAtStartIsRetriedNotFatal() throws {
        let api = try ServerProcess(environment: ["MONGODB_URL": "mongodb+srv://user:s3cret@cluster0.nonexistent.invalid/bookdata"])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/healthz").status, 200)
        let ready = try c.request("GET", "/readyz")
        XCTAssertEqual(ready.status, 503, ready.text)
        XCTAssertTrue(ready.text.contains("not ready"), ready.text)
        let books = try c.request("GET", "/books")
        XCTAssertEqual(books.status, 503, books.text)
        XCTAssertNotNil(books.header("Retry-After"))
        XCTAssertTrue(api.log.contains("SRV lookup failed") && api.log.contains("retrying"), api.log)
        XCTAssertFalse(api.log.contains("s3cret"), api.log)
        let bad = try ServerProcess(environment: ["MONGODB_URL": "mongodb+srv://cluster0.example.net:27017/db"], waitForListening: false)
        XCTAssertEqual(bad.waitForExit(), 2, "an SRV URL may not name a port: a bad URL, not a lookup")
    }

    /// A write that ran, whose reply was lost to a step-down (a writeConcernError labelled
    /// RetryableWriteError, as mongod answers when it steps down before replicating): libmongoc
    /// retries it with the same txnNumber, and the server answers with the first result instead
    /// of running it twice. One book, one allocation, both 201.
    func testARetriedWriteThatHadRunIsNotRunTwice() throws {
        let mongo = try MongoTestServer(replicaSet: "rs0")
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        let car = try c.request("POST", "/cars", headers: json, body: #"{"name":"C"}"#)
        let carID = try XCTUnwrap(car.header("Location")?.components(separatedBy: "/").last, car.text)
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1)
        for command in ["insert", "findAndModify"] {
            try Self.failCommand(
                pool, times: 1,
                [
                    "failCommands": .array([.string(command)]), "errorLabels": .array([.string("RetryableWriteError")]),
                    "writeConcernError": .document(["code": .int32(91), "codeName": .string("ShutdownInProgress"), "errmsg": .string("stepping down")]),
                ])
            let r =
                command == "insert"
                ? try c.request("POST", "/books", headers: json, body: #"{"title":"Once","author":"A"}"#)
                : try c.request("POST", "/cars/\(carID)/allocations", headers: json, body: #"{"from":"2030-01-01T00:00:00Z","to":"2030-01-02T00:00:00Z","allocation_type":"hire"}"#)
            XCTAssertEqual(r.status, 201, "\(command): \(r.text)")
        }
        XCTAssertEqual(try c.request("GET", "/books?q=Once").header("X-Total-Count"), "1", "stored once")
        let allocations = try JSONParser.parse(Array(try c.request("GET", "/cars/\(carID)/allocations").text.utf8)).arrayValue ?? []
        XCTAssertEqual(allocations.count, 1)
    }

    /// Credentials in the URL are really used (SCRAM-SHA-256 against a server that requires it).
    /// A wrong password is a configuration error: /readyz and the API answer 503 saying the
    /// credentials were refused, one clear log line says so, and no secret is logged.
    func testCredentialsAuthenticateAndAWrongPasswordIsShownOnReadyz() throws {
        let mongo = try MongoTestServer(user: "books:c0rrect-h0rse")
        defer { mongo.stop() }
        let base = "127.0.0.1:\(mongo.port)/bookdata?authSource=admin"
        do {
            let api = try ServerProcess(environment: ["MONGODB_URL": "mongodb://books:c0rrect-h0rse@" + base])
            defer { api.stop() }
            let c = try api.client()
            XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
            XCTAssertEqual(try c.request("POST", "/books", headers: json, body: #"{"title":"T","author":"A"}"#).status, 201)
        }
        let api = try ServerProcess(environment: ["MONGODB_URL": "mongodb://books:wr0ng-pa55@" + base])
        defer { api.stop() }
        let c = try api.client()
        let ready = try c.request("GET", "/readyz")
        XCTAssertEqual(ready.status, 503, ready.text)
        XCTAssertTrue(ready.text.contains("credentials"), ready.text)
        let books = try c.request("GET", "/books")
        XCTAssertEqual(books.status, 503, books.text)
        XCTAssertTrue(books.text.contains("credentials"), books.text)
        XCTAssertTrue(api.log.contains("refused the credentials"), api.log)
        XCTAssertFalse(api.log.contains("wr0ng-pa55") || ready.text.contains("wr0ng-pa55") || books.text.contains("wr0ng-pa55"), api.log)
    }

    /// A connection reset mid-read (twice, so libmongoc's one read retry fails too) answers 503
    /// with Retry-After, not 504: libmongoc words a reset and a socket timeout alike, so the time
    /// taken tells them apart, never the message.
    func testAConnectionResetAnswers503WithRetryAfter() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1)
        try Self.failCommand(pool, times: 2, ["failCommands": .array([.string("find")]), "closeConnection": .bool(true)])
        let r = try c.request("GET", "/books/anything")
        XCTAssertEqual(r.status, 503, r.text)
        XCTAssertNotNil(r.header("Retry-After"))
        XCTAssertEqual(try c.request("GET", "/books/anything").status, 404, "the next request reconnects")
    }

    /// A car (in the layout before issue 16, full allocations inline) whose document is within
    /// 50 bytes of MongoDB's 16 MiB limit: a booking, whose interval needs about 79 more, answers
    /// 409 saying what to do, never 500; the car is left as it was, and no details are left over.
    func testABookingPastTheDocumentLimitAnswers409() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1)
        func car(blob: Int) -> Document {
            let allocations: [BSON] = (0..<4).map { i in
                .document([
                    "id": .string("a\(i)"), "from": .int64(Int64(i) * 1000), "to": .int64(Int64(i) * 1000 + 1000), "allocation_type": .string("x"),
                    "data": .document(["blob": .string(String(repeating: "x", count: i == 0 ? blob : 4_000_000))]),
                ])
            }
            return ["id": .string("full"), "name": .string("Full"), "type": .string("car"), "created_at": .int64(0), "allocations": .array(allocations)]
        }
        // The server adds an _id (17 bytes); leave 50 bytes to spare.
        let target = 16 * 1024 * 1024 - 17 - 50
        let document = car(blob: 4_000_000 + target - BSONCodec.encode(car(blob: 4_000_000)).count)
        XCTAssertEqual(BSONCodec.encode(document).count, target)
        try pool.collection("cars") { (c) throws(MongoError) in try c.insertOne(document) }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        let r = try c.request("POST", "/cars/full/allocations", headers: json, body: #"{"from":"2030-01-01T00:00:00Z","to":"2030-01-02T00:00:00Z","allocation_type":"hire"}"#)
        XCTAssertEqual(r.status, 409, r.text)
        XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
        XCTAssertTrue(r.text.contains("16 MiB") && r.text.contains("delete past allocations"), r.text)
        let list = try JSONParser.parse(Array(try c.request("GET", "/cars/full/allocations").text.utf8)).arrayValue ?? []
        XCTAssertEqual(list.count, 4, "the car is left as it was")
        let details = try pool.collection("allocations") { (c) throws(MongoError) -> Int in try c.countDocuments([:]) }
        XCTAssertEqual(details, 0, "the refused booking's details are removed")
    }

    /// Issue 16: a resource stays bookable past what would fill 16 MiB inline. 300 bookings of
    /// 60 KiB of data each (18 MB) all succeed, read back whole, and delete cleanly, because the
    /// resource keeps only their intervals and the details live in `allocations`.
    func testAResourceStaysBookablePastSixteenMiBOfAllocations() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url, "MAX_DOCUMENT_BYTES": "65536"])
        defer { api.stop() }
        let c = try api.client()
        let car = try c.request("POST", "/cars", headers: json, body: #"{"name":"Busy"}"#)
        let id = try XCTUnwrap(car.header("Location")?.components(separatedBy: "/").last, car.text)
        let note = String(repeating: "n", count: 60 * 1024)
        var first = ""
        for hour in 0..<300 {
            let from = Date(timeIntervalSince1970: 1_893_456_000 + Double(hour) * 3600)
            let to = from.addingTimeInterval(3600)
            let body = #"{"from":"\#(Self.iso(from))","to":"\#(Self.iso(to))","allocation_type":"hire","data":{"note":"\#(note)"}}"#
            let r = try c.request("POST", "/cars/\(id)/allocations", headers: json, body: body)
            XCTAssertEqual(r.status, 201, "booking \(hour): \(r.text.prefix(300))")
            if hour == 0 { first = try XCTUnwrap(r.header("Location")?.components(separatedBy: "/").last) }
        }
        let all = try c.request("GET", "/cars/\(id)/allocations")
        XCTAssertEqual(all.header("X-Total-Count"), "300")
        XCTAssertGreaterThan(all.text.utf8.count, 18_000_000, "every allocation whole, data included")
        _ = mongo.takeCommands()
        let day = try JSONParser.parse(Array(try c.request("GET", "/cars/\(id)/allocations?from=2030-01-01T00:00:00Z&to=2030-01-01T02:00:00Z").text.utf8)).arrayValue ?? []
        XCTAssertEqual(day.count, 2)
        // The window is read server-side: one aggregation that filters the intervals, then the
        // details of those two alone, never all 300.
        let read = mongo.takeCommands().filter { $0.name != "insert" && $0.name != "findAndModify" }
        XCTAssertEqual(read.map(\.name), ["aggregate", "find"], read.map(\.json).joined(separator: "\n"))
        XCTAssertTrue(read.first?.json.contains("$filter") == true, read.first?.json ?? "")
        let details = try JSONParser.parse(Array((read.last?.json ?? "{}").utf8)).objectValue
        XCTAssertEqual(details?["filter"]?.objectValue?["id"]?.objectValue?["$in"]?.arrayValue?.count, 2, read.last?.json ?? "")
        XCTAssertEqual(day.first?.objectValue?["data"]?.objectValue?["note"]?.stringValue?.count, 60 * 1024)
        XCTAssertEqual(
            try c.request("POST", "/cars/\(id)/allocations", headers: json, body: #"{"from":"2030-01-01T00:30:00Z","to":"2030-01-01T01:30:00Z","allocation_type":"x"}"#).status, 409
        )
        XCTAssertEqual(try c.request("DELETE", "/cars/\(id)/allocations/\(first)").status, 200)
        XCTAssertEqual(try c.request("GET", "/cars/\(id)/allocations").header("X-Total-Count"), "299")
        XCTAssertEqual(try c.request("DELETE", "/cars/\(id)").status, 200)
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1)
        XCTAssertEqual(try pool.collection("allocations") { (c) throws(MongoError) -> Int in try c.countDocuments([:]) }, 0, "a deleted car takes its details along")
    }

    /// mongod's failCommand fail point, on the test server as on a mongod with test commands on.
    private static func failCommand(_ pool: MongoPool, times: Int32, _ data: Document) throws {
        _ = try pool.runCommand(["configureFailPoint": .string("failCommand"), "mode": .document(["times": .int32(times)]), "data": .document(data)])
    }

    private static func iso(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970)
        let days = seconds / 86400, rest = seconds % 86400
        // 2030-01-01 is day 21915 of the epoch; the test's bookings stay within January 2030.
        return String(format: "2030-01-%02dT%02d:%02d:%02dZ", days - 21915 + 1, rest / 3600, rest % 3600 / 60, rest % 60)
    }

    /// Books as the original script stored them (`read: 1` and `0`) are rewritten to booleans at
    /// start, so `sortasc=read` orders them as the embedded store does.
    func testLegacyReadValuesAreNormalisedAtStart() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let pool = try MongoPool(url: mongo.url, defaultDatabase: "bookdata", maxSize: 1)
        try pool.collection("books") { (c) throws(MongoError) in
            for (id, read) in [("1", BSON.int32(1)), ("2", .bool(false)), ("3", .int32(0)), ("4", .bool(true))] {
                try c.insertOne(["id": .string(id), "title": .string("T\(id)"), "author": .string("A"), "read": read])
            }
        }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client()
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        let stored = try pool.collection("books") { (c) throws(MongoError) -> [BSON] in
            var values: [BSON] = []
            try c.find([:], sort: ["id": .int32(1)]) { (doc) throws(MongoError) -> Bool in
                values.append(doc["read"] ?? .null)
                return true
            }
            return values
        }
        XCTAssertEqual(stored, [.bool(true), .bool(false), .bool(false), .bool(true)])
        let sorted = try JSONParser.parse(Array(try c.request("GET", "/books?sortasc=read").text.utf8)).arrayValue ?? []
        XCTAssertEqual(sorted.compactMap { $0.objectValue?["id"]?.stringValue }, ["2", "3", "1", "4"], "false first, ties by id")
    }
}
