import HTTPServer
import JSON
import XCTest

@testable import BooksApp

/// Route.match: templates, parameters and their decoding (RouteTable.swift).
final class RouteTableTests: XCTestCase {
    /// The matched template and its decoded parameters, as "template a b".
    private func matched(_ path: String) throws -> String? {
        try Route.match(path).map { ([$0.route.template] + $0.parameters).joined(separator: " ") }
    }

    func testRouteMatching() throws {
        XCTAssertEqual(try matched("/books"), "/books")
        XCTAssertEqual(try matched("/books/abc"), "/books/{id} abc")
        XCTAssertEqual(try matched("/books/a%20b"), "/books/{id} a b")
        XCTAssertEqual(try matched("/healthz"), "/healthz")
        XCTAssertEqual(try matched("/lorries/l%2B1/allocations/a%201"), "/lorries/{id}/allocations/{allocation_id} l+1 a 1")
        XCTAssertNil(try Route.match("/books/" + String(repeating: "x", count: 129)), "an id is at most 128 bytes")
        XCTAssertEqual(try matched("/books/" + String(repeating: "x", count: 128))?.count, "/books/{id} ".count + 128)
        XCTAssertNil(try Route.match("/books/"))
        XCTAssertNil(try Route.match("/books/a/b"))
        XCTAssertNil(try Route.match("/books/a%2Fb"), "an encoded slash does not make a nested path")
        XCTAssertNil(try Route.match("/Books"))
        XCTAssertNil(try Route.match("/"))
        XCTAssertThrowsError(try Route.match("/books/%zz"))
        XCTAssertThrowsError(try Route.match("/books/%ff"), "invalid UTF-8 after decoding")
    }
}
