import XCTest

@testable import HTTPServer

/// Requests through a connection: pipelining, keep-alive, 100-continue, timeouts (Connection+Requests.swift).
final class ConnectionRequestsTests: XCTestCase {
    func testPipelinedRequestsAnsweredInOrder() {
        let h = Harness()
        h.feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(h.handler.requests.map(\.path), ["/1", "/2", "/3"])
        let order = ["GET /1?", "POST /2?", "GET /3?"].map { h.output.firstRange(of: $0)!.lowerBound }
        XCTAssertEqual(order, order.sorted())
    }

    func testKeepAliveRules() {
        let h10 = Harness()
        h10.feed("GET / HTTP/1.0\r\n\r\n")
        XCTAssertTrue(h10.output.contains("Connection: close"))
        let h10ka = Harness()
        h10ka.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n")
        XCTAssertEqual(h10ka.statuses, [200, 200])
        XCTAssertTrue(h10ka.output.hasPrefix("HTTP/1.1 200 OK") && h10ka.output.contains("Connection: keep-alive"))
        let close = Harness()
        close.feed("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(close.statuses, [200])
        XCTAssertTrue(close.connection.isClosing)
    }

    func testExpectContinue() {
        let h = Harness()
        h.feed("POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        XCTAssertEqual(h.output, "HTTP/1.1 100 Continue\r\n\r\n")
        h.feed("abc")
        XCTAssertEqual(h.statuses, [100, 200])
        let tooBig = Harness()
        var limits = HTTPLimits()
        limits.maxBodyBytes = 2
        let small = Harness(limits: limits)
        small.feed("POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        XCTAssertEqual(small.statuses, [413], "an oversized body must be refused before 100 Continue")
        _ = tooBig
    }

    func testTimeoutsGive408ThenClose() {
        let h = Harness()
        h.feed("GET / HTT")
        XCTAssertEqual(h.connection.deadline, h.loop.now + HTTPLimits().headerTimeout.nanoseconds, "a started head has the header timeout")
        XCTAssertEqual(h.connection.timedOut(now: h.connection.deadline, env: h.loop), .write)
        XCTAssertEqual(h.statuses, [408])
        XCTAssertTrue(h.connection.isClosing)
        let idle = Harness()
        XCTAssertEqual(idle.connection.deadline, idle.loop.now + HTTPLimits().idleTimeout.nanoseconds)
        XCTAssertEqual(idle.connection.timedOut(now: idle.connection.deadline, env: idle.loop), .close, "an idle connection closes silently")
        XCTAssertEqual(idle.output, "")
    }
}
