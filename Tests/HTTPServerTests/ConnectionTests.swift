import XCTest

@testable import HTTPServer

/// The connection state machine on a fake clock: every event it gets and every action it returns,
/// with no socket, no sleep and no wall clock (issue 13 §1).
final class ConnectionLifecycleTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000
    private let loop = ManualLoop()
    private let handler = EchoHandler()

    private func connection(_ limits: HTTPLimits = HTTPLimits()) -> Connection { Connection(fd: -1, limits: limits, now: loop.now) }

    /// Bytes in, then what the connection asks the loop to do.
    private func feed(_ c: Connection, _ text: String) -> Connection.Action {
        Array(text.utf8).withUnsafeBytes { c.received($0, now: loop.now) }
        return c.process(handler: handler, context: { _ in .detached }, env: loop)
    }

    /// The loop wrote everything pending.
    private func writeAll(_ c: Connection) -> Connection.Action {
        c.wrote(c.pendingOutput)
        return c.flushed(handler: handler, context: { _ in .detached }, env: loop)
    }

    private func text(_ c: Connection) -> String { c.withPendingOutput { String(decoding: $0, as: UTF8.self) } }

    func testKeepAliveGoesBackToIdleWithTheIdleTimeout() {
        let c = connection()
        XCTAssertEqual(feed(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"), .write)
        XCTAssertEqual(writeAll(c), .none)
        XCTAssertTrue(c.isIdle)
        XCTAssertEqual(c.deadline, loop.now + HTTPLimits().idleTimeout.nanoseconds)
        XCTAssertEqual(c.interest.read, true)
        XCTAssertEqual(c.timedOut(now: c.deadline - 1, env: loop), .none, "not yet")
        XCTAssertEqual(c.timedOut(now: c.deadline, env: loop), .close, "an idle connection closes silently")
    }

    func testHalfCloseAnswersWhatWasSentThenCloses() {
        let c = connection()
        XCTAssertEqual(feed(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"), .write)
        XCTAssertEqual(c.readEOF(now: loop.now), .write, "the answer is still written")
        XCTAssertFalse(c.interest.read, "nothing more can arrive")
        XCTAssertTrue(text(c).hasPrefix("HTTP/1.1 200"))
        XCTAssertEqual(writeAll(c), .close, "then it closes, without lingering: the client sends nothing more")

        let partial = connection()
        XCTAssertEqual(feed(partial, "GET /a HTTP/1.1\r\nHo"), .none)
        XCTAssertEqual(partial.readEOF(now: loop.now), .close, "a half-sent head can never complete")
    }

    func testHalfCloseWhileTheHandlerWorks() {
        final class Holding: HTTPHandler, @unchecked Sendable {
            func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult { .deferred }
        }
        let c = connection(), holding = Holding()
        Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8).withUnsafeBytes { c.received($0, now: loop.now) }
        XCTAssertEqual(c.process(handler: holding, context: { _ in .detached }, env: loop), .none)
        XCTAssertEqual(c.readEOF(now: loop.now), .none, "the handler still works: wait for its answer")
        XCTAssertEqual(c.deliver(HTTPResponse(status: 200), serial: 0, handler: holding, context: { _ in .detached }, env: loop), .none, "a stale serial is dropped")
        XCTAssertEqual(c.deliver(HTTPResponse(status: 204), serial: 1, handler: holding, context: { _ in .detached }, env: loop), .write)
        XCTAssertTrue(text(c).hasPrefix("HTTP/1.1 204"))
        XCTAssertEqual(writeAll(c), .close)
    }

    func testConnectionCloseLingersThenCloses() {
        let c = connection()
        XCTAssertEqual(feed(c, "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n"), .write)
        XCTAssertTrue(text(c).contains("Connection: close"))
        XCTAssertEqual(writeAll(c), .shutdownWrite, "our side is shut; the client's unread bytes must not reset the answer")
        guard case .lingering(let until) = c.state else { return XCTFail("\(c.state)") }
        XCTAssertEqual(until, loop.now + Connection.lingerTime)
        XCTAssertTrue(c.interest.read, "a lingering connection reads, to discard")
        XCTAssertEqual(feed(c, "more bytes the client still sends"), .none)
        XCTAssertEqual(c.pendingOutput, 0, "and never answers them")
        XCTAssertEqual(c.timedOut(now: until, env: loop), .close)
        let early = connection()
        XCTAssertEqual(feed(early, "GET /a HTTP/1.0\r\n\r\n"), .write)
        XCTAssertEqual(writeAll(early), .shutdownWrite)
        XCTAssertEqual(early.readEOF(now: loop.now), .close, "the client closed too: lingering is over")
    }

    func testAClientThatStopsReadingIsDroppedAfterTheWriteTimeout() {
        let c = connection()
        XCTAssertEqual(feed(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"), .write)
        c.writeWouldBlock(now: loop.now)
        let deadline = loop.now + HTTPLimits().writeTimeout.nanoseconds
        XCTAssertEqual(c.deadline, deadline)
        c.writeWouldBlock(now: loop.now + second)
        XCTAssertEqual(c.deadline, deadline, "the clock starts when the socket first fills, not at every retry")
        c.wrote(10)
        XCTAssertEqual(c.deadline, .max, "progress: the client reads; the idle clock waits until the answer is out")
        loop.now += 100 * second
        c.wrote(c.pendingOutput - 1)
        XCTAssertEqual(c.timedOut(now: loop.now, env: loop), .none, "100 s of slow but steady reading is not idleness")
        c.wrote(1)
        XCTAssertEqual(c.flushed(handler: handler, context: { _ in .detached }, env: loop), .none)
        XCTAssertEqual(c.deadline, loop.now + HTTPLimits().idleTimeout.nanoseconds, "idle from the moment the answer is out")
        XCTAssertEqual(feed(c, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"), .write)
        c.writeWouldBlock(now: loop.now + 2 * second)
        XCTAssertEqual(c.timedOut(now: loop.now + 2 * second + HTTPLimits().writeTimeout.nanoseconds, env: loop), .close)
    }

    func testServerShutdownDrainsEachConnectionAfterItsRequest() {
        let idle = connection()
        XCTAssertEqual(idle.shutdown(now: loop.now), .close, "an idle connection closes at once")
        let midHead = connection()
        XCTAssertEqual(feed(midHead, "GET /a HTTP/1.1\r\nHo"), .none)
        XCTAssertEqual(midHead.shutdown(now: loop.now), .none, "a request under way may finish")
        XCTAssertEqual(feed(midHead, "st: x\r\n\r\n"), .write)
        XCTAssertTrue(text(midHead).contains("Connection: close"), "and is told the connection ends")
        XCTAssertEqual(writeAll(midHead), .shutdownWrite)
        let keepAlive = connection()
        XCTAssertEqual(feed(keepAlive, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"), .write)
        XCTAssertEqual(keepAlive.shutdown(now: loop.now), .write, "an answer being written is written first")
        XCTAssertEqual(writeAll(keepAlive), .close, "then the now idle connection closes")
    }

    /// Pipelined requests behind a large answer wait until the client has read it: the output
    /// stays bounded however many requests the client sends at once.
    func testPipeliningWithASlowReaderKeepsTheOutputBounded() {
        final class Large: HTTPHandler, @unchecked Sendable {
            var answered: [String] = []
            func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult {
                answered.append(request.path)
                return .respond(HTTPResponse(status: 200, contentType: "text/plain", body: [UInt8](repeating: 0x61, count: 200_000)))
            }
        }
        let large = Large(), c = connection()
        let requests = (1...4).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
        Array(requests.utf8).withUnsafeBytes { c.received($0, now: loop.now) }
        XCTAssertEqual(c.process(handler: large, context: { _ in .detached }, env: loop), .write)
        XCTAssertEqual(large.answered, ["/1", "/2"], "past 256 KiB of unread output, no further request is answered")
        XCTAssertFalse(c.interest.read, "nor read")
        c.wrote(100_000)
        XCTAssertEqual(large.answered.count, 2, "partly read: still waiting")
        c.wrote(c.pendingOutput)
        XCTAssertEqual(c.flushed(handler: large, context: { _ in .detached }, env: loop), .write)
        XCTAssertEqual(large.answered, ["/1", "/2", "/3", "/4"], "in order, once the client read the first answers")
        c.wrote(c.pendingOutput)
        XCTAssertEqual(c.flushed(handler: large, context: { _ in .detached }, env: loop), .none)
        XCTAssertTrue(c.isIdle)
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

    private func feed(_ c: Connection, _ text: String, at now: UInt64, loop: ManualLoop) {
        loop.now = now
        Array(text.utf8).withUnsafeBytes { c.received($0, now: now) }
        _ = c.process(handler: EchoHandler(), context: { _ in .detached }, env: loop)
    }

    func testIdleComesFirstThenTheSlowestHeadOrBody() {
        let loop = ManualLoop()
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
        XCTAssertLessThan(
            trickle.displacementOrder(now: t0 + 700 * ms)!.since, bodiless.displacementOrder(now: t0 + 700 * ms)!.since,
            "the one in its phase longest goes first")
    }

    func testAnUploadAboveTheRateKeepsItsPlace() {
        let loop = ManualLoop()
        let t0 = loop.now
        let upload = Connection(fd: -1, limits: limits, now: t0)
        feed(upload, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", at: t0, loop: loop)
        for step in 1...10 {  // 2,000 bytes every 100 ms: 20 kB/s against a 1 kB/s floor
            feed(upload, String(repeating: "x", count: 2000), at: t0 + UInt64(step) * 100 * ms, loop: loop)
        }
        XCTAssertNil(upload.displacementOrder(now: t0 + 1000 * ms), "a real upload is never displaced")
        XCTAssertNil(upload.displacementOrder(now: t0 + 20_000 * ms), "20 kB over 20 s is still the floor's rate")
        XCTAssertEqual(upload.displacementOrder(now: t0 + 21_000 * ms)?.rank, 2, "below the floor on average it is slow")
    }

    func testALingeringConnectionGoesFirst() {
        let loop = ManualLoop()
        let c = Connection(fd: -1, limits: limits, now: loop.now)
        c.state = .lingering(until: loop.now + 2_000 * ms)  // answered and closed for writing; what still comes is discarded
        XCTAssertEqual(c.displacementOrder(now: loop.now)?.rank, 0)
    }

    func testARequestBeingHandledIsNeverDisplaced() {
        let loop = ManualLoop()
        final class Holding: HTTPHandler, @unchecked Sendable {
            func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult { .deferred }
        }
        let c = Connection(fd: -1, limits: limits, now: loop.now)
        Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8).withUnsafeBytes { c.received($0, now: loop.now) }
        _ = c.process(handler: Holding(), context: { _ in .detached }, env: loop)
        XCTAssertTrue(c.isHandling)
        XCTAssertNil(c.displacementOrder(now: loop.now + 60_000 * ms))
    }
}
