@testable import HTTPServer
import XCTest

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
        let loop = FakeLoop()
        let c = Connection(fd: -1, limits: HTTPLimits(), now: loop.now)
        Array(text.utf8).withUnsafeBytes { c.received($0, now: loop.now) }
        c.process(handler: handler, context: { _ in .detached }, env: loop)
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
        for (text, status) in [(auth + "Content-Length: 9\r\n\r\n", 413), (auth + "Transfer-Encoding: chunked\r\n\r\n9\r\n", 413),
                               (auth + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400)] {
            let (c, out) = connection(GuardedHandler(), text)
            XCTAssertTrue(out.hasPrefix("HTTP/1.1 \(status)") && out.contains("X-Rendered-By: app") && out.hasSuffix("for /w"), out)
            XCTAssertTrue(c.isClosing)
        }
        let loop = FakeLoop()
        let slow = Connection(fd: -1, limits: HTTPLimits(), now: loop.now)
        let handler = GuardedHandler()
        Array((auth + "Content-Length: 5\r\n\r\nab").utf8).withUnsafeBytes { slow.received($0, now: loop.now) }
        slow.process(handler: handler, context: { _ in .detached }, env: loop)
        XCTAssertFalse(slow.timedOut(env: loop, handler: handler))
        let out = String(decoding: slow.output, as: UTF8.self)
        XCTAssertTrue(out.hasPrefix("HTTP/1.1 408") && out.contains("X-Rendered-By: app"), out)
        let head = Connection(fd: -1, limits: HTTPLimits(), now: loop.now)
        Array("GET / HT".utf8).withUnsafeBytes { head.received($0, now: loop.now) }
        XCTAssertFalse(head.timedOut(env: loop, handler: handler))
        let early = String(decoding: head.output, as: UTF8.self)
        XCTAssertTrue(early.hasPrefix("HTTP/1.1 408") && early.hasSuffix("for no request"), "before a head the handler renders it too, without a request: \(early)")
    }

    func testARequestWithoutABodyIsNotAdmittedAndHasNoBodyPhase() {
        let handler = GuardedHandler()
        let (c, out) = connection(handler, "GET /r HTTP/1.1\r\nHost: a\r\n\r\nDELETE /d HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        XCTAssertTrue(handler.admitted.isEmpty, "only a request with a body is asked about")
        XCTAssertEqual(out.components(separatedBy: "HTTP/1.1 200").count, 3, out)
        XCTAssertEqual(c.deadlineKind, .idle, "no body timeout was started")
    }
}

/// Which connections may give their place at MAX_CONNECTIONS (issue 12 §5), on a fake clock.
final class DisplacementTests: XCTestCase {
    private var limits: HTTPLimits {
        var l = HTTPLimits()
        l.minReceiveRate = 1000
        l.slowGrace = .milliseconds(500)
        return l
    }
    private let ms: UInt64 = 1_000_000

    private func feed(_ c: Connection, _ text: String, at now: UInt64, loop: FakeLoop) {
        loop.now = now
        Array(text.utf8).withUnsafeBytes { c.received($0, now: now) }
        c.process(handler: EchoHandler(), context: { _ in .detached }, env: loop)
    }

    func testIdleComesFirstThenTheSlowestHeadOrBody() {
        let loop = FakeLoop()
        let t0 = loop.now
        let idle = Connection(fd: -1, limits: limits, now: t0)
        XCTAssertEqual(idle.displacementOrder(now: t0)?.rank, 1, "a silent connection is idle")

        let trickle = Connection(fd: -1, limits: limits, now: t0)
        feed(trickle, "G", at: t0, loop: loop)
        XCTAssertNil(trickle.displacementOrder(now: t0 + 499 * ms), "within the grace a head is not judged")
        XCTAssertEqual(trickle.displacementOrder(now: t0 + 500 * ms)?.rank, 2, "one byte in half a second is slow")

        let bodiless = Connection(fd: -1, limits: limits, now: t0)
        feed(bodiless, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n", at: t0 + 100 * ms, loop: loop)
        XCTAssertNil(bodiless.displacementOrder(now: t0 + 550 * ms))
        XCTAssertEqual(bodiless.displacementOrder(now: t0 + 700 * ms)?.rank, 2, "a body that never comes is slow")
        XCTAssertLessThan(trickle.displacementOrder(now: t0 + 700 * ms)!.since, bodiless.displacementOrder(now: t0 + 700 * ms)!.since,
                          "the one in its phase longest goes first")
    }

    func testAnUploadAboveTheRateKeepsItsPlace() {
        let loop = FakeLoop()
        let t0 = loop.now
        let upload = Connection(fd: -1, limits: limits, now: t0)
        feed(upload, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", at: t0, loop: loop)
        for step in 1...10 {  // 2,000 bytes every 100 ms: 20 kB/s against a 1 kB/s floor
            feed(upload, String(repeating: "x", count: 2000), at: t0 + UInt64(step) * 100 * ms, loop: loop)
        }
        XCTAssertNil(upload.displacementOrder(now: t0 + 1000 * ms), "a real upload is never displaced")
        XCTAssertNil(upload.displacementOrder(now: t0 + 20_000 * ms) , "20 kB over 20 s is still the floor's rate")
        XCTAssertEqual(upload.displacementOrder(now: t0 + 21_000 * ms)?.rank, 2, "below the floor on average it is slow")
    }

    func testALingeringConnectionGoesFirst() {
        let loop = FakeLoop()
        let c = Connection(fd: -1, limits: limits, now: loop.now)
        c.lingering = true  // answered and closed for writing; the loop discards what still comes
        c.lingerDeadline = loop.now + 2_000 * ms
        XCTAssertEqual(c.displacementOrder(now: loop.now)?.rank, 0)
    }

    func testARequestBeingHandledIsNeverDisplaced() {
        let loop = FakeLoop()
        final class Holding: HTTPHandler, @unchecked Sendable {
            func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult { .deferred }
        }
        let c = Connection(fd: -1, limits: limits, now: loop.now)
        Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8).withUnsafeBytes { c.received($0, now: loop.now) }
        c.process(handler: Holding(), context: { _ in .detached }, env: loop)
        XCTAssertTrue(c.isHandling)
        XCTAssertNil(c.displacementOrder(now: loop.now + 60_000 * ms))
    }
}
