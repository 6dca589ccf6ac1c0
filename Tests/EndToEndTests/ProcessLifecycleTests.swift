import Foundation
import JSON
import TestSupport
import XCTest

/// Start-up, settings, durability across kill -9, the data directory lock, and shutdown.
final class ProcessLifecycleTests: XCTestCase {
    func testAcknowledgedWritesSurviveKill9() throws {
        let dir = ServerProcess.temporaryDirectory()
        let first = try ServerProcess(dataDir: dir)
        var created: [String] = []
        let c = try first.client()
        for i in 0..<20 {
            let r = try c.request("POST", "/books", headers: [("Content-Type", "application/json")], body: #"{"title":"Durable \#(i)","author":"K"}"#)
            XCTAssertEqual(r.status, 201)
            created.append(String(r.header("Location")!.dropFirst("/books/".count)))
        }
        first.stop(signal: SIGKILL)
        let second = try ServerProcess(dataDir: dir)
        defer { second.stop() }
        let c2 = try second.client()
        for id in created { XCTAssertEqual(try c2.request("GET", "/books/\(id)").status, 200, id) }
        XCTAssertEqual(try c2.request("GET", "/books?author=K").header("X-Total-Count"), "20")
        XCTAssertEqual(try c2.request("GET", "/books?limit=1").header("X-Total-Count"), "62", "42 sample books, seeded once")
    }

    func testSecondServerOnTheSameDataDirExitsWithAClearError() throws {
        let dir = ServerProcess.temporaryDirectory()
        let first = try ServerProcess(dataDir: dir)
        defer { first.stop() }
        let second = try ServerProcess(dataDir: dir, waitForListening: false)
        XCTAssertEqual(second.waitForExit(), 1)
        XCTAssertTrue(second.log.contains("in use by another BooksAPI process"), second.log)
    }

    func testInvalidSettingStopsStartupNamingIt() throws {
        let server = try ServerProcess(environment: ["PORT": "99999"], waitForListening: false)
        XCTAssertEqual(server.waitForExit(), 2)
        XCTAssertTrue(server.log.contains("PORT"), server.log)
    }

    func testHelpListsSettings() throws {
        let server = try ServerProcess(arguments: ["--help"], waitForListening: false)
        XCTAssertEqual(server.waitForExit(), 0)
        for name in [
            "HOST", "PORT", "DATA_DIR", "MONGODB_URL", "STATIC_DIR", "CORS_ORIGINS", "LOG_LEVEL", "WORKER_THREADS",
            "MAX_REQUEST_LINE", "MAX_HEADER_BYTES", "MAX_HEADER_COUNT", "MAX_BODY_BYTES", "HEADER_TIMEOUT", "IDLE_TIMEOUT", "MAX_CONNECTIONS",
        ] {
            XCTAssertTrue(server.log.contains(name), name)
        }
    }

    func testSeedCommandReplacesBooks() throws {
        let dir = ServerProcess.temporaryDirectory()
        do {
            let server = try ServerProcess(dataDir: dir)
            _ = try server.client().request("DELETE", "/books/1")
            XCTAssertEqual(server.stop(), 0)
        }
        let seed = try ServerProcess(dataDir: dir, arguments: ["seed", "--replace"], waitForListening: false)
        XCTAssertEqual(seed.waitForExit(), 0, seed.log)
        XCTAssertTrue(seed.log.contains("seeded 42 books"), seed.log)
        let server = try ServerProcess(dataDir: dir)
        defer { server.stop() }
        XCTAssertEqual(try server.client().request("GET", "/books/1").status, 200)
    }

    /// Issue 17: a new store's first look is not empty: the sample fleet of
    /// rawdata/fleet-data-to-insert.js, placed around today, with holds and maintenance. On MongoDB,
    /// `BooksAPI seed` loads it into an empty inventory through the same store operations.
    func testANewStoreLoadsTheSampleFleet() throws {
        let fleet = ["FLEET_SEED_FILE": "rawdata/fleet-data-to-insert.js"]
        let server = try ServerProcess(environment: fleet)
        defer { server.stop() }
        XCTAssertTrue(server.log.contains("loaded the sample fleet (11 resources, 23 allocations)"), server.log)
        let c = try server.client()
        let today = Date().timeIntervalSince1970
        let day = Int(today / 86_400) * 86_400
        let from = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(day - 3 * 86_400)))
        let to = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(day + 6 * 86_400)))
        let r = try c.request("GET", "/availability?from=\(from)&to=\(to)")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("X-Total-Count"), "11", "six cars, three lorries, two trucks")
        let rows = try XCTUnwrap(JSONParser.parse(r.body).arrayValue)
        let busy = rows.flatMap { $0.objectValue?["busy"]?.arrayValue ?? [] }.compactMap(\.objectValue)
        XCTAssertEqual(busy.count, 22, "a week of bookings, less the cancelled one")
        XCTAssertEqual(busy.filter { $0["status"] == .string("tentative") }.count, 2, "two holds")
        XCTAssertEqual(busy.filter { $0["allocation_type"] == .string("maintenance") }.count, 4)
        XCTAssertEqual(try c.request("GET", "/cars/sample-car-3/allocations?status=cancelled").text.contains("Cancelled by phone"), true)

        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        var env = fleet
        env["MONGODB_URL"] = mongo.url
        for expected in ["seeded the sample fleet: 11 resources, 23 allocations", "the inventory is not empty"] {
            let seed = try ServerProcess(environment: env, arguments: ["seed"], waitForListening: false)
            XCTAssertEqual(seed.waitForExit(), 0, seed.log)
            XCTAssertTrue(seed.log.contains(expected), seed.log)
        }
        let onMongo = try ServerProcess(environment: env)
        defer { onMongo.stop() }
        let mongoRows = try XCTUnwrap(JSONParser.parse(try onMongo.client().request("GET", "/availability?from=\(from)&to=\(to)").body).arrayValue)
        XCTAssertEqual(mongoRows.flatMap { $0.objectValue?["busy"]?.arrayValue ?? [] }.count, 22, "the same fleet on MongoDB")
    }

    func testAccessLogLinePerRequest() throws {
        let server = try ServerProcess()
        _ = try server.client().request("GET", "/books/2", headers: [("X-Request-ID", "trace-123")])
        XCTAssertEqual(server.stop(), 0)
        XCTAssertTrue(server.log.contains("GET /books/2 200 "), server.log)
        XCTAssertTrue(server.log.contains("trace-123"), server.log)
    }

    func testGracefulShutdownExitsZeroOnSIGINT() throws {
        let server = try ServerProcess()
        _ = try server.client().request("GET", "/healthz")
        XCTAssertEqual(server.stop(signal: SIGINT), 0)
        XCTAssertTrue(server.log.contains("stopped"), server.log)
    }

    func testStaticSiteBesideTheAPI() throws {
        let site = ServerProcess.temporaryDirectory()
        try "<!doctype html><title>app</title>".write(toFile: site + "/index.html", atomically: true, encoding: .utf8)
        try "body{}".write(toFile: site + "/app.css", atomically: true, encoding: .utf8)
        try Data([0x1f, 0x8b, 1, 2]).write(to: URL(fileURLWithPath: site + "/app.css.gz"))
        let server = try ServerProcess(environment: ["STATIC_DIR": site])
        defer { server.stop() }
        let c = try server.client()
        let index = try c.request("GET", "/")
        XCTAssertEqual(index.status, 200)
        XCTAssertEqual(index.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertEqual(try c.request("GET", "/inventory/cars").text, index.text, "history fallback")
        XCTAssertEqual(try c.request("GET", "/books/1").header("Content-Type"), "application/json", "API routes never fall back")
        XCTAssertEqual(try c.request("GET", "/books/1/nope").status, 404)
        let css = try c.request("GET", "/app.css", headers: [("Accept-Encoding", "gzip")])
        XCTAssertEqual(css.header("Content-Encoding"), "gzip")
        XCTAssertEqual(css.body, [0x1f, 0x8b, 1, 2])
        XCTAssertEqual(try c.request("GET", "/app.css", headers: [("If-None-Match", try XCTUnwrap(css.header("ETag"))), ("Accept-Encoding", "gzip")]).status, 304)
        // A hostile date in a conditional header once crashed the server with an overflow.
        let hostile = try c.request("GET", "/app.css", headers: [("If-Modified-Since", "Sun, 06 Nov 9223372036854775807 08:49:37 GMT")])
        XCTAssertEqual(hostile.status, 200, "an unparsable date is no condition (RFC 9110 §13.1.3)")
        XCTAssertEqual(try server.client().request("GET", "/healthz").status, 200)
        for attack in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd", "/app.css/../../../etc/passwd"] {
            XCTAssertEqual(try server.client().request("GET", attack).status, 404, attack)
        }
    }
}

/// GET /metrics on the real binary: counts what was served, by route template.
final class MetricsEndpointTests: XCTestCase {
    func testMetricsCountRequestsByRouteAndStoreOperations() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try server.client()
        for _ in 0..<3 { XCTAssertEqual(try c.request("GET", "/books/1").status, 200) }
        XCTAssertEqual(try c.request("GET", "/books/does-not-exist").status, 404)
        XCTAssertEqual(try c.request("POST", "/cars", headers: [("Content-Type", "application/json")], body: #"{"name":"M"}"#).status, 201)
        let r = try c.request("GET", "/metrics")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        for line in [
            #"booksapi_http_requests_total{route="/books/{id}",method="GET",status="200"} 3"#,
            #"booksapi_http_requests_total{route="/books/{id}",method="GET",status="404"} 1"#,
            #"booksapi_http_requests_total{route="/cars",method="POST",status="201"} 1"#,
            #"booksapi_store_operation_duration_seconds_count{operation="getBook"} 4"#,
            #"booksapi_store_operation_duration_seconds_count{operation="createResource"} 1"#,
            "booksapi_http_connections_open 1", "booksapi_http_connections_displaced_total 0", "booksapi_http_requests_in_flight 1", "booksapi_work_pool_threads 16",
        ] {
            XCTAssertTrue(r.text.contains(line + "\n"), "missing \(line) in\n\(r.text)")
        }
        XCTAssertFalse(r.text.contains("does-not-exist"), "ids never become labels")
        XCTAssertTrue(r.text.contains("process_resident_memory_bytes "))
    }
}
