import Foundation
import Synchronization
import TestSupport
import XCTest

/// MongoDB down, killed and slow: the API answers 503 or 504 problem+json in bounded time,
/// never 500 and never a hang, and recovers by itself.
final class MongoFaultTests: XCTestCase {
    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    /// Polls /readyz until it answers `status`, for up to `timeout` seconds.
    private func waitForReady(_ server: ServerProcess, status: Int, timeout: Double = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? server.client(timeoutSeconds: 10).request("GET", "/readyz").status) == status { return }
            usleep(200_000)
        }
        XCTFail("/readyz never answered \(status)")
    }

    func testStartsWithMongoDBDownThenRecovers() throws {
        let probe = try MongoTestServer()
        let port = probe.port
        probe.stop()
        let api = try ServerProcess(environment: ["MONGODB_URL": "mongodb://127.0.0.1:\(port)/bookdata"])
        defer { api.stop() }
        let c = try api.client(timeoutSeconds: 15)
        XCTAssertEqual(try c.request("GET", "/readyz").status, 503)
        var response: RawHTTPClient.Response?
        let elapsed = try seconds { response = try c.request("GET", "/books") }
        XCTAssertEqual(response?.status, 503, response?.text ?? "")
        XCTAssertEqual(response?.header("Content-Type"), "application/problem+json")
        XCTAssertNotNil(response?.header("Retry-After"))
        XCTAssertLessThan(elapsed, 6, "server selection is bounded by the store's own timeout")
        let mongo = try MongoTestServer(port: port)
        defer { mongo.stop() }
        try waitForReady(api, status: 200)
        XCTAssertEqual(try api.client().request("GET", "/books").status, 200)
    }

    func testMongoDBKilledDuringRequestsThenRestarted() throws {
        var mongo = try MongoTestServer()
        let port = mongo.port
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { api.stop() }
        let c = try api.client(timeoutSeconds: 15)
        XCTAssertEqual(try c.request("POST", "/books", headers: [("Content-Type", "application/json")], body: #"{"title":"T","author":"A"}"#).status, 201)
        mongo.stop()
        for _ in 0..<3 {
            let r = try c.request("GET", "/books")
            XCTAssertTrue([503, 504].contains(r.status), "got \(r.status): \(r.text)")
            let w = try c.request("POST", "/books", headers: [("Content-Type", "application/json")], body: #"{"title":"T","author":"A"}"#)
            XCTAssertTrue([503, 504].contains(w.status), "got \(w.status): \(w.text)")
        }
        mongo = try MongoTestServer(port: port)
        defer { mongo.stop() }
        try waitForReady(api, status: 200)
        XCTAssertEqual(try api.client().request("POST", "/books", headers: [("Content-Type", "application/json")], body: #"{"title":"T","author":"A"}"#).status, 201)
    }

    func testSlowMongoDBAnswers504WithinTheDeadline() throws {
        let mongo = try MongoTestServer(delayMS: 4000)
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url + "?socketTimeoutMS=500"])
        defer { api.stop() }
        var response: RawHTTPClient.Response?
        let elapsed = try seconds { response = try api.client(timeoutSeconds: 15).request("GET", "/books/1") }
        XCTAssertEqual(response?.status, 504, response?.text ?? "")
        XCTAssertLessThan(elapsed, 3, "the socket timeout from the URL bounds the wait")
        XCTAssertEqual(try api.client().request("GET", "/healthz").status, 200, "the process itself stays healthy")
    }

    /// waitQueueTimeoutMS with a pool of one and four concurrent requests: libmongoc gives up
    /// waiting for a client and returns NULL, which once crashed the process (exit 132).
    func testAnExhaustedPoolAnswers503AndTheProcessLives() throws {
        let mongo = try MongoTestServer(delayMS: 300)
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url + "?waitQueueTimeoutMS=50", "MONGODB_POOL_SIZE": "1"])
        defer { api.stop() }
        let statuses = Mutex<[(Int, String?)]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            guard let r = try? api.client(timeoutSeconds: 15).request("GET", "/books/1") else { return }
            statuses.withLock { $0.append((r.status, r.header("Retry-After"))) }
        }
        let seen = statuses.withLock { $0 }
        XCTAssertEqual(seen.count, 4, "every request was answered")
        let busy = seen.filter { $0.0 == 503 }
        XCTAssertFalse(busy.isEmpty, "one client, four requests, 50 ms to wait: some must find the pool busy (\(seen.map(\.0)))")
        XCTAssertTrue(busy.allSatisfy { $0.1 != nil }, "503 says when to retry")
        XCTAssertTrue(seen.allSatisfy { [200, 404, 503].contains($0.0) }, "\(seen.map(\.0))")
        XCTAssertEqual(try api.client().request("GET", "/healthz").status, 200, "the process is alive")
        XCTAssertTrue(api.process.isRunning)
    }

    /// maxPoolSize in MONGODB_URL wins over MONGODB_POOL_SIZE: with 2 in the URL, two slow
    /// requests run at once even though the setting says 1.
    func testMaxPoolSizeInTheURLWins() throws {
        let mongo = try MongoTestServer(delayMS: 300)
        defer { mongo.stop() }
        let api = try ServerProcess(environment: ["MONGODB_URL": mongo.url + "?waitQueueTimeoutMS=150&maxPoolSize=2", "MONGODB_POOL_SIZE": "1"])
        defer { api.stop() }
        _ = try api.client(timeoutSeconds: 15).request("GET", "/readyz")  // connect once first
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            guard let r = try? api.client(timeoutSeconds: 15).request("GET", "/books/1") else { return }
            statuses.withLock { $0.append(r.status) }
        }
        XCTAssertEqual(statuses.withLock { $0 }.sorted(), [404, 404], "two pooled clients: neither waited past waitQueueTimeoutMS")
    }
}
