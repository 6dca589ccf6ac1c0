import HTTPServer
import JSON
import XCTest

@testable import BooksApp

final class CORSPolicyTests: XCTestCase {
    private func count(_ response: HTTPResponse, _ name: String) -> Int {
        String(decoding: response.headerBytes, as: UTF8.self).lowercased().components(separatedBy: "\r\n").filter { $0.hasPrefix(name.lowercased() + ":") }.count
    }

    func testAPreflightCarriesEachHeaderOnce() {
        let cors = CORSPolicy(["https://spa.example"])
        let request = HTTPRequest(method: .options, path: "/books", headers: [("Origin", "https://spa.example"), ("Access-Control-Request-Method", "POST")])
        var response = cors.options(request, allow: "GET, HEAD, POST, OPTIONS")
        cors.decorate(&response, origin: "https://spa.example")  // as App.finish does for every response
        for name in ["Access-Control-Allow-Origin", "Vary", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"] {
            XCTAssertEqual(count(response, name), 1, name)
        }
        XCTAssertEqual(response.header("Access-Control-Allow-Origin"), "https://spa.example")
    }

    func testVaryOriginIsOnEveryResponseWhenAListIsConfigured() {
        let cors = CORSPolicy(["https://spa.example"])
        for origin in ["https://spa.example", "https://evil.example", nil] {
            var response = HTTPResponse(status: 200)
            cors.decorate(&response, origin: origin)
            XCTAssertEqual(response.header("Vary"), "Origin", "origin \(origin ?? "none")")
            XCTAssertEqual(response.header("Access-Control-Allow-Origin"), origin == "https://spa.example" ? origin : nil)
        }
        var gzipped = HTTPResponse(status: 200)
        gzipped.addHeader("Vary", "Accept-Encoding")
        cors.decorate(&gzipped, origin: "https://evil.example")
        XCTAssertEqual(count(gzipped, "Vary"), 1)
        XCTAssertEqual(gzipped.header("Vary"), "Accept-Encoding, Origin")
    }

    func testAnyOriginAndNoneConfigured() {
        var any = HTTPResponse(status: 200)
        CORSPolicy(["*"]).decorate(&any, origin: nil)
        XCTAssertEqual(any.header("Access-Control-Allow-Origin"), "*", "the answer does not depend on Origin")
        XCTAssertNil(any.header("Vary"))
        var none = HTTPResponse(status: 200)
        CORSPolicy([]).decorate(&none, origin: "https://spa.example")
        XCTAssertTrue(none.headerBytes.isEmpty, "no CORS headers at all by default")
    }
}

final class AppAdmissionTests: XCTestCase {
    private var directory = ""
    private var app: App!

    override func setUpWithError() throws {
        directory = temporaryDirectory()
        let store = try EmbeddedStore(directory: directory, maxDocumentBytes: 1024, compactMinBytes: 1 << 20)
        var settings = Settings()
        settings.apiToken = "the-token"
        settings.maxDocumentBytes = 1024
        settings.corsOrigins = ["https://spa.example"]
        app = App(
            store: store, pool: WorkPool(threads: 1, maxQueued: 4, queueTimeout: .seconds(1)), settings: settings,
            log: AppLog(sink: nil, level: .off), metrics: Metrics(), staticSite: nil, openAPI: nil)
    }

    private func admit(_ method: HTTPMethod, _ path: String, token: Bool = true) -> String {
        let headers = token ? [("Authorization", "Bearer the-token")] : []
        switch app.admit(HTTPRequest(method: method, path: path, headers: headers)) {
        case .proceed(let cap): return "proceed \(cap)"
        case .reject(let response): return "\(response.status) " + String(decoding: response.body, as: UTF8.self)
        }
    }

    func testTheTokenIsCheckedBeforeTheBody() {
        XCTAssertTrue(admit(.post, "/books", token: false).hasPrefix("401 "), admit(.post, "/books", token: false))
        XCTAssertTrue(admit(.post, "/cars/x/allocations", token: false).hasPrefix("401 "))
    }

    func testEachRouteHasABodyCapSizedToWhatItStores() {
        XCTAssertEqual(admit(.post, "/books"), "proceed 16384", "16x: it takes an array too")
        XCTAssertEqual(admit(.put, "/books/1"), "proceed 4096")
        XCTAssertEqual(admit(.patch, "/books/1"), "proceed 4096")
        XCTAssertEqual(admit(.post, "/trucks/t/allocations"), "proceed 16384", "16x: booking takes an array too")
        XCTAssertEqual(admit(.patch, "/trucks/t/allocations/a"), "proceed 4096")
        XCTAssertEqual(admit(.post, "/cars"), "proceed 8192")
        XCTAssertEqual(admit(.patch, "/lorries/l"), "proceed 8192")
    }

    func testNoBodyWhereNoneIsTaken() {
        XCTAssertTrue(admit(.get, "/books").hasPrefix("413 ") && admit(.get, "/books").contains("GET /books takes no request body"), admit(.get, "/books"))
        XCTAssertTrue(admit(.delete, "/books/1").hasPrefix("413 "))
        XCTAssertTrue(admit(.post, "/books/1").hasPrefix("405 "), admit(.post, "/books/1"))
        XCTAssertTrue(admit(.post, "/nowhere").hasPrefix("404 "))
        XCTAssertTrue(admit(.post, "/books/%zz").hasPrefix("400 "))
    }
}

extension AppAdmissionTests {
    /// What the HTTP layer refuses is rendered by the app's one renderer: problem+json with the
    /// status table's title, the request id, and the CORS headers every answer has.
    func testRefusalsOfTheHTTPLayerAreTheAppsProblems() throws {
        let early = app.failed(HTTPParseError(431, "header section too large"), request: nil, requestID: "r-1")
        XCTAssertEqual(early.status, 431)
        XCTAssertEqual(early.header("Vary"), "Origin")
        let problem = try XCTUnwrap(try JSONParser.parse(early.body).objectValue)
        XCTAssertEqual(problem["title"], .string("Request Header Fields Too Large"))
        XCTAssertEqual(problem["request_id"], .string("r-1"))
        XCTAssertEqual(problem["detail"], .string("header section too large"))
        let late = app.failed(
            HTTPParseError(413, "body larger than 4096 bytes"), request: HTTPRequest(method: .post, path: "/books", headers: [("Origin", "https://spa.example")]), requestID: "r-2")
        XCTAssertEqual(late.header("Access-Control-Allow-Origin"), "https://spa.example", "a browser can read why its write was refused")
        XCTAssertEqual(try JSONParser.parse(late.body).objectValue?["instance"], .string("/books"))
    }
}

final class RedactionTests: XCTestCase {
    func testUserinfoAndSecretOptionsAreHiddenEverywhereInTheText() {
        let url = "mongodb://app:s3cr%40t@db1:27017,db2/books?replicaSet=rs0&tlsCertificateKeyFilePassword=hunter2&authMechanismProperties=AWS_SESSION_TOKEN:abc&w=majority"
        let redacted = Redaction.mongoURL("cannot connect to \(url): timed out")
        for secret in ["s3cr", "hunter2", "AWS_SESSION_TOKEN:abc", "app:"] { XCTAssertFalse(redacted.contains(secret), redacted) }
        XCTAssertEqual(
            redacted, "cannot connect to mongodb://***@db1:27017,db2/books?replicaSet=rs0&tlsCertificateKeyFilePassword=***&authMechanismProperties=***&w=majority: timed out")
        XCTAssertEqual(
            Redaction.mongoURL("mongodb+srv://u:p@cluster.example/?sslClientCertificateKeyPassword=x"), "mongodb+srv://***@cluster.example/?sslClientCertificateKeyPassword=***")
        XCTAssertEqual(
            Redaction.mongoURL("mongodb://localhost:27017/bookdata?maxPoolSize=4"), "mongodb://localhost:27017/bookdata?maxPoolSize=4", "nothing secret, nothing changed")
    }
}
