import XCTest

@testable import HTTPServer

/// A handler that refuses writes without `Authorization` and caps bodies at 8 bytes, before any
/// body byte is read.
final class GuardedHandler: HTTPHandler, @unchecked Sendable {
    let echo = EchoHandler()
    var admitted: [String] = []
    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult { echo.handle(request, context: context) }
    func admit(_ request: HTTPRequest) -> Admission {
        admitted.append(request.path)
        XCTAssertTrue(request.body.isEmpty, "admit runs before the body is read")
        guard request.headers["authorization"] != nil else { return .reject(HTTPResponse(status: 401, contentType: "text/plain", body: Array("no".utf8))) }
        return .proceed(maxBodyBytes: 8)
    }
    func failed(_ error: HTTPParseError, request: HTTPRequest?, requestID: String) -> HTTPResponse {
        var response = HTTPResponse(status: error.status, contentType: "text/plain", body: Array("app: \(error.reason) for \(request?.path ?? "no request")".utf8))
        response.addHeader("X-Rendered-By", "app")
        return response
    }
}

final class AdmissionTests: XCTestCase {
    private func connection(_ handler: GuardedHandler, _ text: String) -> (Connection, String) {
        let loop = ManualLoop()
        let c = Connection(fd: -1, limits: HTTPLimits(), now: loop.now)
        Array(text.utf8).withUnsafeBytes { c.received($0, now: loop.now) }
        _ = c.process(handler: handler, context: { _ in .detached }, env: loop)
        return (c, String(decoding: c.output, as: UTF8.self))
    }

    func testARefusalIsAnsweredBeforeTheBodyAndCloses() {
        let handler = GuardedHandler()
        let (c, out) = connection(handler, "POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n")
        XCTAssertTrue(out.hasPrefix("HTTP/1.1 401"), out)
        XCTAssertTrue(out.contains("Connection: close\r\n"))
        XCTAssertTrue(c.isClosing, "the unread body cannot be told from a next request, so the connection closes")
        XCTAssertTrue(handler.echo.requests.isEmpty, "the handler never saw a refused request")
    }

    func testExpectContinueGetsTheRefusalNotContinue() {
        let handler = GuardedHandler()
        let (_, out) = connection(handler, "POST /w HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        XCTAssertFalse(out.contains("100 Continue"), out)
        XCTAssertTrue(out.hasPrefix("HTTP/1.1 401"), out)
        let allowed = connection(GuardedHandler(), "POST /w HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n").1
        XCTAssertEqual(allowed, "HTTP/1.1 100 Continue\r\n\r\n")
    }

    func testTheHandlersCapAppliesToBothFramings() {
        let over = connection(GuardedHandler(), "POST /w HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\nContent-Length: 9\r\n\r\n123456789").1
        XCTAssertTrue(over.hasPrefix("HTTP/1.1 413"), over)
        let chunks = connection(GuardedHandler(), "POST /w HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n4\r\n6789\r\n0\r\n\r\n").1
        XCTAssertTrue(chunks.hasPrefix("HTTP/1.1 413"), chunks)
        let fits = GuardedHandler()
        let ok = connection(fits, "POST /w HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\nContent-Length: 8\r\n\r\n12345678").1
        XCTAssertTrue(ok.hasPrefix("HTTP/1.1 200"), ok)
        XCTAssertEqual(fits.echo.requests.first?.body, Array("12345678".utf8))
    }

    /// Once a head is accepted, the application renders the body's failure (so it carries CORS
    /// headers in BooksAPI), and the connection still closes.
    func testBodyFailuresAfterAdmissionAreRenderedByTheHandler() {
        let auth = "POST /w HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\n"
        for (text, status) in [
            (auth + "Content-Length: 9\r\n\r\n", 413), (auth + "Transfer-Encoding: chunked\r\n\r\n9\r\n", 413),
            (auth + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ] {
            let (c, out) = connection(GuardedHandler(), text)
            XCTAssertTrue(out.hasPrefix("HTTP/1.1 \(status)") && out.contains("X-Rendered-By: app") && out.hasSuffix("for /w"), out)
            XCTAssertTrue(c.isClosing)
        }
        let loop = ManualLoop()
        let slow = Connection(fd: -1, limits: HTTPLimits(), now: loop.now)
        let handler = GuardedHandler()
        Array((auth + "Content-Length: 5\r\n\r\nab").utf8).withUnsafeBytes { slow.received($0, now: loop.now) }
        _ = slow.process(handler: handler, context: { _ in .detached }, env: loop)
        XCTAssertEqual(slow.timedOut(now: slow.deadline, handler: handler, env: loop), .write)
        let out = String(decoding: slow.output, as: UTF8.self)
        XCTAssertTrue(out.hasPrefix("HTTP/1.1 408") && out.contains("X-Rendered-By: app"), out)
        let head = Connection(fd: -1, limits: HTTPLimits(), now: loop.now)
        Array("GET / HT".utf8).withUnsafeBytes { head.received($0, now: loop.now) }
        XCTAssertEqual(head.timedOut(now: head.deadline, handler: handler, env: loop), .write)
        let early = String(decoding: head.output, as: UTF8.self)
        XCTAssertTrue(early.hasPrefix("HTTP/1.1 408") && early.hasSuffix("for no request"), "before a head the handler renders it too, without a request: \(early)")
    }

    func testARequestWithoutABodyIsNotAdmittedAndHasNoBodyPhase() {
        let handler = GuardedHandler()
        let (c, out) = connection(handler, "GET /r HTTP/1.1\r\nHost: a\r\n\r\nDELETE /d HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        XCTAssertTrue(handler.admitted.isEmpty, "only a request with a body is asked about")
        XCTAssertEqual(out.components(separatedBy: "HTTP/1.1 200").count, 3, out)
        guard case .idle = c.state else { return XCTFail("no body phase, so no body timeout: \(c.state)") }
    }
}
