import XCTest

@testable import HTTPServer

final class ChunkedDecoderTests: XCTestCase {
    func testByteAtATime() {
        let h = Harness()
        for byte in Array("POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8) { h.feed([byte]) }
        XCTAssertEqual(h.statuses, [200])
        XCTAssertEqual(h.handler.requests.first?.body, Array("hello".utf8))
    }
}
