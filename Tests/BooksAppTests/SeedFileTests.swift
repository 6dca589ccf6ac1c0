import HTTPServer
import JSON
import XCTest

@testable import BooksApp

final class SeedFileTests: XCTestCase {
    func testSeedFileHasTheSampleBooks() throws {
        let root = URLPath.packageRoot
        let books = try SeedFile.books(path: root + "/rawdata/book-data-to-insert.js")
        XCTAssertEqual(books.count, 42)
        XCTAssertEqual(books.compactMap { $0.objectValue?["id"]?.stringValue }, (1...42).map(String.init))
    }
}
