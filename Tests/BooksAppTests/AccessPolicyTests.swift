import HTTPServer
import JSON
import XCTest

@testable import BooksApp

final class AccessPolicyTests: XCTestCase {
    func testConstantTimeComparison() {
        let token = Array("abc123".utf8)
        XCTAssertTrue(AccessPolicy.constantTimeEqual(Array("abc123".utf8)[...], token))
        for other in ["", "abc12", "abc1234", "abc124", "Abc123", "\0\0\0\0\0\0"] {
            XCTAssertFalse(AccessPolicy.constantTimeEqual(Array(other.utf8)[...], token), other)
        }
        let sliced = Array("xxabc123".utf8)[2...]
        XCTAssertTrue(AccessPolicy.constantTimeEqual(sliced, token), "works on a slice that does not start at 0")
    }

    func testBearerCredentialParsing() {
        XCTAssertEqual(AccessPolicy.bearerCredential("Bearer tok").map { String(decoding: $0, as: UTF8.self) }, "tok")
        XCTAssertEqual(AccessPolicy.bearerCredential("BEARER   tok").map { String(decoding: $0, as: UTF8.self) }, "tok")
        XCTAssertNil(AccessPolicy.bearerCredential("Bearer"))
        XCTAssertNil(AccessPolicy.bearerCredential("Bearer   "))
        XCTAssertNil(AccessPolicy.bearerCredential("Basic dG9rOg=="))
        XCTAssertNil(AccessPolicy.bearerCredential("Bearertok"))
    }

    func testTokenSyntax() {
        XCTAssertTrue(AccessPolicy.isValidToken("abc-._~+/123=="))
        for bad in ["", "===", "has space", "quote\"", "tab\t", "ünï"] { XCTAssertFalse(AccessPolicy.isValidToken(bad), bad) }
    }
}
