import Foundation
import JSON
import TestSupport
import XCTest

/// Malformed and hostile requests over real sockets against the real binary: each gets a 4xx
/// problem (or a clean close), never reaches a store, and the server keeps serving.
final class HostileRequestTests: XCTestCase {
    static let shared = SharedFixture { try ServerProcess(environment: ["STATIC_DIR": ServerProcess.packageRoot + "/client-tier"]) }
    var server: ServerProcess!

    override func setUpWithError() throws { server = try Self.shared.get() }

    override class func tearDown() {
        if let server = shared.started { XCTAssertEqual(server.stop(), 0, "still able to shut down cleanly") }
        super.tearDown()
    }

    /// Sends raw bytes on a fresh connection; the status of the answer, or nil for a close without one.
    private func exchange(_ bytes: [UInt8]) throws -> RawHTTPClient.Response? {
        let c = try server.client(timeoutSeconds: 15)
        c.send(bytes)
        return try? c.readResponse()
    }

    private func assertRefused(
        _ bytes: [UInt8], _ expected: ClosedRange<Int> = 400...499, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        if let r = try exchange(bytes) {
            XCTAssertTrue(expected.contains(r.status), "\(what): \(r.status) \(r.text.prefix(200))", file: file, line: line)
            XCTAssertEqual(r.header("Content-Type"), "application/problem+json", what, file: file, line: line)
        }
        let health = try server.client().request("GET", "/healthz")
        XCTAssertEqual(health.status, 200, "the server still serves after \(what)", file: file, line: line)
    }

    private func post(_ path: String, _ body: [UInt8], contentType: String = "application/json") -> [UInt8] {
        Array("POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
    }

    func testRequestSmugglingShapes() throws {
        let cases: [(String, String)] = [
            ("CL+TE", "POST /books HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /books/1 HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("TE+CL", "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"),
            ("duplicate CL", "POST /books HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
            ("CL list", "POST /books HTTP/1.1\r\nHost: t\r\nContent-Length: 2, 2\r\n\r\n{}"),
            ("signed CL", "POST /books HTTP/1.1\r\nHost: t\r\nContent-Length: +2\r\n\r\n{}"),
            ("TE chunked, identity", "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
            ("TE identity", "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: identity\r\n\r\n"),
            ("TE obfuscated", "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
            ("TE on HTTP/1.0", "POST /books HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            ("chunk size past 64 bits", "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1" + String(repeating: "0", count: 16) + "\r\n"),
            ("chunk size 2^64 exactly", "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"),
            ("negative chunk size", "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n"),
            (
                "chunk extension over the cap",
                "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2;" + String(repeating: "x", count: 20_000) + "\r\n{}\r\n0\r\n\r\n"
            ),
            ("bare LF in the head", "GET /books HTTP/1.1\nHost: t\n\n"),
            ("bare LF in chunk framing", "POST /books HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}\n0\n\n"),
            ("bare CR", "GET /books HTTP/1.1\rHost: t\r\n\r\n"),
            ("obs-fold", "GET /books HTTP/1.1\r\nHost: t\r\nX-A: a\r\n folded\r\n\r\n"),
            ("space before colon", "GET /books HTTP/1.1\r\nHost : t\r\n\r\n"),
            ("no Host on HTTP/1.1", "GET /books HTTP/1.1\r\n\r\n"),
            ("two Hosts", "GET /books HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
            ("HTTP/2.0 request line", "GET /books HTTP/2.0\r\nHost: t\r\n\r\n"),
            ("HTTP/0.9", "GET /books\r\n\r\n"),
            ("lower-case version", "GET /books http/1.1\r\nHost: t\r\n\r\n"),
            ("two spaces", "GET  /books HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("unknown method", "BREW /books HTTP/1.1\r\nHost: t\r\n\r\n"),
        ]
        for (name, request) in cases {
            try assertRefused(Array(request.utf8), 400...505, name)
        }
        // Absolute-form is this server's own resource (RFC 9112 §3.2.2), never a proxy request.
        let absolute = try XCTUnwrap(try exchange(Array("GET http://evil.example/books/1 HTTP/1.1\r\nHost: t\r\n\r\n".utf8)))
        XCTAssertEqual(absolute.status, 200)
        XCTAssertTrue(absolute.text.contains("The Last Man"), absolute.text)
        // The smuggled GET after the CL+TE request must never be answered as a second request.
        let c = try server.client(timeoutSeconds: 5)
        c.send(cases[0].1)
        let first = try c.readResponse()
        XCTAssertEqual(first.status, 400)
        XCTAssertTrue(c.isClosedByPeer(), "the connection closes; nothing after it is read as a request")
    }

    func testNULBytesAnywhere() throws {
        let cases: [[UInt8]] = [
            Array("GET /bo".utf8) + [0] + Array("oks HTTP/1.1\r\nHost: t\r\n\r\n".utf8),
            Array("GET /books HTTP/1.1\r\nHost: t\r\nX-A: a".utf8) + [0] + Array("b\r\n\r\n".utf8),
            Array("GET /books HTTP/1.1\r\nX".utf8) + [0] + Array(": a\r\nHost: t\r\n\r\n".utf8),
            [0, 0, 0, 0] + Array("\r\n\r\n".utf8),
        ]
        for (i, bytes) in cases.enumerated() { try assertRefused(bytes, 400...499, "NUL case \(i)") }
        try assertRefused(Array("GET /books/a%00b HTTP/1.1\r\nHost: t\r\n\r\n".utf8), 400...404, "an encoded NUL in an id")
        try assertRefused(post("/books", Array(#"{"title":"a\u0000","author":"b","x\u0000":1}"#.utf8)), 400...422, "NUL in JSON keys")
    }

    func testOverLongLinesAndTooManyHeaders() throws {
        try assertRefused(Array(("GET /" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: t\r\n\r\n").utf8), 414...414, "a 100 kB request line")
        try assertRefused(Array(("GET /books?q=" + String(repeating: "%41", count: 50_000) + " HTTP/1.1\r\nHost: t\r\n\r\n").utf8), 414...414, "a long query")
        try assertRefused(Array(("GET /books HTTP/1.1\r\nHost: t\r\nX-A: " + String(repeating: "b", count: 1 << 20) + "\r\n\r\n").utf8), 431...431, "a 1 MB header")
        let many = (0..<10_000).map { "X-H\($0): v\r\n" }.joined()
        try assertRefused(Array(("GET /books HTTP/1.1\r\nHost: t\r\n" + many + "\r\n").utf8), 431...431, "10,000 headers")
        try assertRefused(Array(String(repeating: "\r\n", count: 100_000).utf8), 400...499, "only line breaks")
    }

    func testHostileJSONBodies() throws {
        let cases: [(String, [UInt8])] = [
            ("invalid UTF-8", Array(#"{"title":""#.utf8) + [0xC3, 0x28] + Array(#"","author":"b"}"#.utf8)),
            ("overlong UTF-8 encoding of /", Array(#"{"title":""#.utf8) + [0xC0, 0xAF] + Array(#"","author":"b"}"#.utf8)),
            ("UTF-16 surrogate in UTF-8", Array(#"{"title":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#"","author":"b"}"#.utf8)),
            ("a lone escaped surrogate", Array(#"{"title":"\ud800","author":"b"}"#.utf8)),
            ("nested 100,000 deep arrays", Array(String(repeating: "[", count: 100_000).utf8) + Array(String(repeating: "]", count: 100_000).utf8)),
            ("nested 100,000 deep objects", Array(String(repeating: #"{"a":"#, count: 100_000).utf8) + [UInt8(ascii: "1")] + Array(String(repeating: "}", count: 100_000).utf8)),
            ("1e999", Array(#"{"title":"t","author":"a","year":1e999}"#.utf8)),
            ("-1e999 in an extra field", Array(#"{"title":"t","author":"a","x":-1e999}"#.utf8)),
            ("a 400-digit integer", Array((#"{"title":"t","author":"a","year":"# + String(repeating: "9", count: 400) + "}").utf8)),
            ("NaN", Array(#"{"title":"t","author":"a","score":NaN}"#.utf8)),
            ("duplicate keys", Array(#"{"title":"t","author":"a","title":"u"}"#.utf8)),
            ("trailing garbage", Array(#"{"title":"t","author":"a"}x"#.utf8)),
            ("a BOM", [0xEF, 0xBB, 0xBF] + Array(#"{"title":"t","author":"a"}"#.utf8)),
            ("empty", []),
        ]
        for (name, body) in cases {
            try assertRefused(post("/books", body), 400...422, name)
            try assertRefused(post("/cars", body), 400...422, "\(name) as a resource")
        }
        try assertRefused(post("/books", Array(#"{"title":"t","author":"a"}"#.utf8), contentType: "text/plain"), 415...415, "not JSON")
        let count = try server.client().request("GET", "/books?limit=1").header("X-Total-Count")
        XCTAssertEqual(count, "42", "no hostile body was stored")
    }

    func testPercentEncodingErrors() throws {
        for target in [
            "/books/%", "/books/%4", "/books/%zz", "/books/%ff", "/books/%c3%28", "/books?author=%", "/books?author=%e", "/books?q=%ff%fe",
            "/books?limit=%", "/cars?available_from=%zz", "/%", "/js/%ff.js",
        ] {
            try assertRefused(Array("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n".utf8), 400...404, target)
        }
    }

    func testTraversalAttempts() throws {
        let targets = [
            "/../../../../etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/js/../../Package.swift",
            "/js/%2e%2e/%2e%2e/Package.swift", "/..\\..\\Package.swift", "/js/..%5c..%5cPackage.swift", "/%252e%252e/Package.swift",
            "/.%2e/.%2e/Package.swift", "//etc/passwd", "/js//../../Package.swift", "/index.html/../../Package.swift",
            "/.git/config", "/js/.%00/main.js", "/books/..%2f..%2fPackage.swift",
        ]
        for target in targets {
            let r = try exchange(Array("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n".utf8))
            guard let r else { continue }
            XCTAssertFalse(r.text.contains("root:") || r.text.contains("PackageDescription") || r.text.contains("[core]"), "\(target) escaped: \(r.text.prefix(100))")
            // A path that normalises to the site's index (history fallback) is fine; nothing outside it is.
            XCTAssertTrue((400...404).contains(r.status) || r.text.contains("<!doctype html>"), "\(target): \(r.status)")
        }
        XCTAssertEqual(try server.client().request("GET", "/healthz").status, 200)
    }
}
