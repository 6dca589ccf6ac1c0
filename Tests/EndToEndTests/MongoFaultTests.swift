import Foundation
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
}
