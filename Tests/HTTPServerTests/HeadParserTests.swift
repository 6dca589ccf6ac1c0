import XCTest

@testable import HTTPServer

/// Heads, valid and not, whole and split at every byte (HeadScanner.swift, HeadParser.swift).
final class HeadParserTests: XCTestCase {
    /// Valid requests and what the handler must see: method, path?query and body length.
    static let valid: [(request: String, seen: String)] = [
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET /? body=0"),
        ("GET /books?skip=0&limit=8 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n", "GET /books?skip=0&limit=8 body=0"),
        ("POST /books HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "POST /books? body=5"),
        ("POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n", "POST /b? body=5"),
        ("POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", "POST /b? body=10"),
        ("GET /x HTTP/1.0\r\n\r\n", "GET /x? body=0"),
        ("\r\nGET /after-blank HTTP/1.1\r\nHost: a\r\n\r\n", "GET /after-blank? body=0"),
        ("GET http://example.com/abs?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET /abs?q=1 body=0"),
        ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS *? body=0"),
        ("PATCH /p HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Tabs:\t v \t\r\nContent-Length: 0\r\n\r\n", "PATCH /p? body=0"),
        ("DELETE /d HTTP/1.1\r\nHost: a\r\nX-Obs: caf\u{E9}\r\n\r\n", "DELETE /d? body=0"),
    ]

    func testValidRequestsWholeAndSplitAtEveryOffset() {
        for (request, seen) in Self.valid {
            let bytes = Array(request.utf8)
            for cut in 0...bytes.count {
                let h = Harness()
                h.feed(bytes, splitAt: cut)
                XCTAssertEqual(h.statuses, [200], "\(request.debugDescription) split at \(cut): \(h.output)")
                XCTAssertTrue(h.output.hasSuffix(seen), "\(request.debugDescription) split at \(cut) gave \(h.output)")
            }
        }
    }

    /// Invalid shapes and the status each must get. Every one also closes the connection.
    static let invalid: [(request: String, status: Int)] = [
        ("GET / HTTP/1.1\r\n\r\n", 400),  // no Host
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),  // two Hosts
        ("GET / HTTP/1.1\nHost: a\n\n", 400),  // bare LF
        ("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400),  // bare LF in headers
        ("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400),  // bare CR
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),  // space before colon
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),  // obs-fold
        ("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400),  // invalid name
        ("GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n", 400),  // NUL
        ("GET / HTTP/1.1\r\n: empty\r\n\r\n", 400),  // empty name
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // double space
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET / FOO/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET nope HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // not origin-form
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x1\r\n\r\nx", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),  // bad size
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400),  // 64-bit overflow
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400),  // missing CRLF after data
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400),  // bare LF in framing
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nExpect: something\r\nContent-Length: 1\r\n\r\nx", 417),
    ]

    func testInvalidRequestsGetTheirStatusAndClose() {
        for (request, status) in Self.invalid {
            let h = Harness()
            h.feed(request)
            XCTAssertEqual(h.statuses, [status], "\(request.debugDescription): \(h.output)")
            XCTAssertTrue(h.output.contains("Connection: close\r\n"), "\(request.debugDescription) did not close")
            XCTAssertTrue(h.output.contains("application/problem+json"))
            XCTAssertTrue(h.handler.requests.isEmpty, "\(request.debugDescription) reached the handler")
            XCTAssertTrue(h.connection.isClosing)
        }
    }

    func testEmptyLinesBeforeTheRequestLineAreBounded() {
        let tolerated = Harness()
        tolerated.feed(String(repeating: "\r\n", count: 8) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(tolerated.statuses, [200], "RFC 9112 §2.2: empty lines before a request are ignored")
        let endless = Harness()
        endless.feed(String(repeating: "\r\n", count: 9))
        XCTAssertEqual(endless.statuses, [400], "CRLFs alone must not hold a connection open")
        XCTAssertTrue(endless.connection.isClosing)
    }

    func testEveryNonTokenByteInHeaderNameIsRejected() {
        // Every byte that is not a tchar, except ":" (58), which ends the name.
        for byte in 0...255
        where byte != 58 && !"!#$%&'*+-.^_`|~".utf8.contains(UInt8(byte)) && !(UInt8(byte) >= 0x30 && UInt8(byte) <= 0x39)
            && !(UInt8(byte) >= 0x41 && UInt8(byte) <= 0x5A) && !(UInt8(byte) >= 0x61 && UInt8(byte) <= 0x7A)
        {
            let h = Harness()
            h.feed(Array("GET / HTTP/1.1\r\nHost: a\r\nX".utf8) + [UInt8(byte)] + Array("Y: z\r\n\r\n".utf8))
            XCTAssertEqual(h.statuses.first, 400, "byte \(byte) accepted in a header name")
            XCTAssertTrue(h.handler.requests.isEmpty)
        }
    }

    func testEveryControlByteInHeaderValueIsRejected() {
        for byte in Array(0...31) + [127] where byte != 9 && byte != 10 && byte != 13 {
            let h = Harness()
            h.feed(Array("GET / HTTP/1.1\r\nHost: a\r\nX: a".utf8) + [UInt8(byte)] + Array("b\r\n\r\n".utf8))
            XCTAssertEqual(h.statuses, [400], "byte \(byte) accepted in a header value")
        }
    }

    func testHeadersAreCaseInsensitiveAndTrimmed() {
        let h = Harness()
        h.feed("GET / HTTP/1.1\r\nhOsT: a\r\nX-Thing: \t  spaced value \t\r\nX-Thing: second\r\n\r\n")
        let request = h.handler.requests[0]
        XCTAssertEqual(request.headers["x-thing"], "spaced value")
        XCTAssertEqual(request.headers.values("x-thing"), ["spaced value", "second"])
        XCTAssertEqual(request.headers["host"], "a")
    }

    func testLimits() {
        var limits = HTTPLimits()
        limits.maxRequestLine = 100
        limits.maxHeaderBytes = 400
        limits.maxHeaderCount = 5
        limits.maxBodyBytes = 10
        let cases: [(String, Int)] = [
            ("GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414),
            ("GET /" + String(repeating: "a", count: 200), 414),  // detected before the line ends
            ("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 500) + "\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 500), 431),
            ("GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: y\r\n", count: 6) + "\r\n", 431),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000), 400),
        ]
        for (request, status) in cases {
            let h = Harness(limits: limits)
            h.feed(request)
            XCTAssertEqual(h.statuses, [status], "\(request.prefix(60).debugDescription): \(h.output)")
        }
        let ok = Harness(limits: limits)
        ok.feed("GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: y\r\n", count: 4) + "\r\n")
        XCTAssertEqual(ok.statuses, [200])
    }
}
