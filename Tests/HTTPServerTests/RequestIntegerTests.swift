import XCTest

@testable import HTTPServer

/// Every integer in a request head or chunked framing: strict digits, checked arithmetic (issue 12).
final class RequestIntegerTests: XCTestCase {
    private func post(_ contentLength: String) -> Harness {
        let h = Harness()
        h.feed("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: \(contentLength)\r\n\r\nhello")
        return h
    }

    func testContentLengthIsOneRunOfDigits() {
        for refused in ["-5", "+5", " 5x", "5 5", "5,5", "0x5", "5.0", "-0", String(repeating: "9", count: 30), "9223372036854775808", "-9223372036854775808"] {
            let h = post(refused)
            XCTAssertEqual(h.statuses, [400], "Content-Length: \(refused)")
            XCTAssertTrue(h.handler.requests.isEmpty)
        }
        let zeros = post(String(repeating: "0", count: 30) + "5")
        XCTAssertEqual(zeros.statuses, [200], "leading zeros are digits (RFC 9110 §8.6: 1*DIGIT)")
        XCTAssertEqual(zeros.handler.requests.first?.body, Array("hello".utf8))
        XCTAssertEqual(post("0005").handler.requests.first?.body.count, 5)
        for huge in ["9223372036854775807", "9223372036854775806", "1048577"] {
            XCTAssertEqual(post(huge).statuses, [413], "Content-Length: \(huge) is a number, just too large")
        }
    }

    private func chunked(_ sizeLine: String, data: String = "hello") -> Harness {
        let h = Harness()
        h.feed("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\(sizeLine)\r\n\(data)\r\n0\r\n\r\n")
        return h
    }

    func testChunkSizesAreHexDigitsWithoutSignOrOverflow() {
        for refused in ["-5", "+5", " 5", "0x5", String(repeating: "f", count: 30), "10000000000000000", "-8000000000000000"] {
            let h = chunked(refused)
            XCTAssertEqual(h.statuses, [400], "chunk size \(refused)")
            XCTAssertTrue(h.handler.requests.isEmpty)
        }
        let zeros = chunked(String(repeating: "0", count: 30) + "5")
        XCTAssertEqual(zeros.handler.requests.first?.body, Array("hello".utf8), "leading zeros in a chunk size")
        for huge in ["7fffffffffffffff", "7ffffffffffffffe", "100001"] {
            XCTAssertEqual(chunked(huge).statuses, [413], "chunk size \(huge)")
        }
    }

    func testAbsoluteFormAuthorityEndsAtSlashQuestionMarkOrHash() {
        let served: [(String, String)] = [
            ("http://x?/books", "GET /?/books body=0"),  // the query, not a path: "/books" must not be served
            ("http://x", "GET /? body=0"), ("http://x/books?skip=1", "GET /books?skip=1 body=0"),
            ("http://[::1]:8080/a", "GET /a? body=0"), ("HTTP://Example.COM:80/b", "GET /b? body=0"),
            ("https://a.b-c_d~e/z", "GET /z? body=0"),
        ]
        for (target, seen) in served {
            let h = Harness()
            h.feed("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(h.statuses, [200], target)
            XCTAssertTrue(h.output.hasSuffix(seen), "\(target): \(h.output)")
        }
        for malformed in [
            "http://[::1", "http://[::1]x/", "http://[]/", "http:///books", "http://:80/", "http://user@x/",
            "http://x:8a/", "http://x#frag", "http://x y/", "http://x\\y/", "ftp://x/", "http:/x/",
        ] {
            let h = Harness()
            h.feed("GET \(malformed) HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(h.statuses, [400], malformed)
            XCTAssertTrue(h.handler.requests.isEmpty, malformed)
        }
    }
}
