import Dispatch
import Glibc
import JSON
import XCTest

@testable import BooksApp

final class DataDirectoryTests: XCTestCase {
    func testSecondProcessOnSameDirectoryIsRefused() throws {
        let dir = temporaryDirectory()
        let first = try EmbeddedStore(directory: dir)
        XCTAssertThrowsError(try EmbeddedStore(directory: dir)) { error in
            guard case .unavailable(let message)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("in use by another BooksAPI process"), message)
        }
        withExtendedLifetime(first) {}
    }
}
