import Foundation
import JSON
import TestSupport
import XCTest

/// API_TOKEN: writes need the bearer token, reads stay open unless READS_REQUIRE_TOKEN, the token
/// never reaches a log or an error, and CORS lets no other origin in by default.
final class AccessControlTests: XCTestCase {
    static let token = "s3cret-Token_for.tests~42"
    let json = [("Content-Type", "application/json")]

    private func bearer(_ token: String) -> [(String, String)] { [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")] }

    func testWritesNeedTheTokenAndReadsStayOpen() throws {
        let server = try ServerProcess(environment: ["API_TOKEN": Self.token])
        defer { server.stop() }
        let c = try server.client()

        // A refused request with a body is answered before the body is read, and the connection
        // closes (its unread body cannot be told from a next request): each gets a new client.
        let missing = try server.client().request("POST", "/books", headers: json, body: #"{"title":"T","author":"A"}"#)
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.header("Connection"), "close", "a refused body is never read, so the connection cannot be reused")
        XCTAssertEqual(missing.header("WWW-Authenticate"), #"Bearer realm="BooksAPI""#)
        XCTAssertEqual(missing.header("Content-Type"), "application/problem+json")
        XCTAssertTrue(missing.text.contains("Authorization: Bearer"), missing.text)

        let wrong = try server.client().request("POST", "/books", headers: bearer("guess-\(Self.token)"), body: #"{"title":"T","author":"A"}"#)
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(wrong.header("WWW-Authenticate"), #"Bearer realm="BooksAPI", error="invalid_token""#)
        XCTAssertFalse(wrong.text.contains("guess-"), "the presented credential is never echoed")
        for header in ["Basic \(Self.token)", "Bearer", "Bearer ", Self.token, "Bearer \(Self.token.dropLast())", "Bearer \(Self.token)x"] {
            let r = try c.request("DELETE", "/books/1", headers: [("Authorization", header)])
            XCTAssertEqual(r.status, 401, header)
        }

        // Every write method on every data route is guarded, and nothing changes without the token.
        let writes: [(String, String, String?)] = [
            ("PUT", "/books/1", #"{"title":"X","author":"Y"}"#), ("PATCH", "/books/1", #"{"read":true}"#), ("DELETE", "/books/1", nil),
            ("POST", "/cars", #"{"name":"C"}"#), ("PATCH", "/cars/x", #"{"name":"D"}"#), ("DELETE", "/cars/x", nil),
            ("POST", "/trucks/x/allocations", #"{"from":"2030-01-01T00:00:00Z","to":"2030-01-02T00:00:00Z"}"#),
            ("DELETE", "/lorries/x/allocations/y", nil),
        ]
        for (method, path, body) in writes {
            XCTAssertEqual(try server.client().request(method, path, headers: json, body: body).status, 401, "\(method) \(path)")
        }
        let book = try c.request("GET", "/books/1")
        XCTAssertEqual(book.status, 200, "reads stay open")
        XCTAssertFalse(book.text.contains("\"X\""))
        XCTAssertEqual(try c.request("GET", "/cars").status, 200)
        XCTAssertEqual(try c.request("GET", "/healthz").status, 200)
        XCTAssertEqual(try c.request("OPTIONS", "/books").status, 204, "a CORS preflight cannot carry credentials")

        let created = try c.request("POST", "/books", headers: bearer(Self.token), body: #"{"title":"T","author":"A"}"#)
        XCTAssertEqual(created.status, 201, created.text)
        let lower = try c.request("DELETE", created.header("Location")!, headers: [("Authorization", "bearer \(Self.token)")])
        XCTAssertEqual(lower.status, 200, "the scheme is case-insensitive (RFC 9110 §11.1)")
        XCTAssertEqual(try c.request("POST", "/cars", headers: bearer(Self.token), body: #"{"name":"Guarded"}"#).status, 201)

        XCTAssertEqual(server.stop(), 0)
        XCTAssertFalse(server.log.contains(Self.token), "the token never reaches the log")
        XCTAssertTrue(server.log.contains("writes need a bearer token"), server.log)
    }

    func testReadsRequireTokenWhenConfigured() throws {
        let server = try ServerProcess(environment: ["API_TOKEN": Self.token, "READS_REQUIRE_TOKEN": "true"])
        defer { server.stop() }
        let c = try server.client()
        XCTAssertEqual(try c.request("GET", "/books").status, 401)
        XCTAssertEqual(try c.request("GET", "/cars/x/allocations").status, 401)
        XCTAssertEqual(try c.request("GET", "/books", headers: bearer(Self.token)).status, 200)
        XCTAssertEqual(try c.request("GET", "/healthz").status, 200, "probes stay open")
        XCTAssertEqual(try c.request("GET", "/readyz").status, 200)
        XCTAssertEqual(try c.request("GET", "/openapi.json").status, 200)
    }

    func testTokenFromAFileLikeADockerSecret() throws {
        let dir = ServerProcess.temporaryDirectory()
        let file = dir + "/token"
        try (Self.token + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let server = try ServerProcess(environment: ["API_TOKEN_FILE": file])
        defer { server.stop() }
        let c = try server.client()
        XCTAssertEqual(try c.request("DELETE", "/books/2").status, 401)
        XCTAssertEqual(try c.request("DELETE", "/books/2", headers: bearer(Self.token)).status, 200)
    }

    func testBadTokenSettingsStopStartupWithoutShowingTheSecret() throws {
        let secret = "not a token because it has spaces"
        let invalid = try ServerProcess(environment: ["API_TOKEN": secret], waitForListening: false)
        XCTAssertEqual(invalid.waitForExit(), 2)
        XCTAssertTrue(invalid.log.contains("API_TOKEN"), invalid.log)
        XCTAssertFalse(invalid.log.contains(secret), invalid.log)

        let missing = try ServerProcess(environment: ["API_TOKEN_FILE": "/nonexistent/token"], waitForListening: false)
        XCTAssertEqual(missing.waitForExit(), 2)
        XCTAssertTrue(missing.log.contains("API_TOKEN_FILE"), missing.log)

        let readsOnly = try ServerProcess(environment: ["READS_REQUIRE_TOKEN": "true"], waitForListening: false)
        XCTAssertEqual(readsOnly.waitForExit(), 2, "guarding reads without a token would lock everyone out")
    }

    func testCORSLetsNoOtherOriginInByDefault() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try server.client()
        let simple = try c.request("GET", "/books?limit=1", headers: [("Origin", "https://evil.example")])
        XCTAssertEqual(simple.status, 200)
        XCTAssertNil(simple.header("Access-Control-Allow-Origin"))
        let preflight = try c.request("OPTIONS", "/books/1", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "DELETE")])
        XCTAssertNil(preflight.header("Access-Control-Allow-Origin"))
        XCTAssertNil(preflight.header("Access-Control-Allow-Methods"))
        XCTAssertNil(simple.header("Access-Control-Allow-Credentials"))
    }
}
