import HTTPServer
import JSON
import XCTest

@testable import BooksApp

final class ETagTests: XCTestCase {
    func testStrongTagIsFNV1aOfTheBytesInSixteenHexDigits() {
        XCTAssertEqual(ETag.of([]), "\"cbf29ce484222325\"")  // the FNV-1a 64 offset basis
        XCTAssertEqual(ETag.of(Array("a".utf8)), "\"af63dc4c8601ec8c\"")
        XCTAssertEqual(ETag.of(Array("foobar".utf8)), "\"85944171f73967e8\"")
    }
}
