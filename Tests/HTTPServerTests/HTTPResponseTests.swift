import XCTest

@testable import HTTPServer

/// Responses as encoded: header values cannot split a response; HEAD keeps the length (HTTPResponse.swift, ResponseEncoder.swift).
final class HTTPResponseTests: XCTestCase {
    func testHeadOmitsBodyButKeepsLength() {
        let h = Harness()
        h.feed("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertTrue(h.output.contains("Content-Length: 15\r\n"), h.output)
        XCTAssertTrue(h.output.hasSuffix("\r\n\r\n"))
    }

    func testResponseHeaderValuesCannotSplitResponses() {
        var response = HTTPResponse(status: 200)
        response.addHeader("X-Test", "a\r\nInjected: yes")
        XCTAssertEqual(String(decoding: response.headerBytes, as: UTF8.self), "X-Test: aInjected: yes\r\n")
    }
}
