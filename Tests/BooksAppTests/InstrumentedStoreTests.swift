import HTTPServer
import JSON
import XCTest

@testable import BooksApp

final class InstrumentedStoreTests: XCTestCase {
    private func problem(_ body: () throws(Problem) -> Void) -> Problem? {
        do throws(Problem) { try body(); return nil } catch { return error }
    }

    /// A duplicate id is said of what it belongs to (it once said "a book" of cars).
    func testADuplicateNamesWhatItIsOf() {
        let store = InstrumentedStore(NoStore(error: .duplicateID("x1")), metrics: StoreMetrics())
        let car = Resource(id: "x1", name: "Car", kind: ResourceKind.all[0], createdAt: 0)
        XCTAssertEqual(problem { () throws(Problem) in try store.createResource(car) }?.detail, "a car with id x1 already exists")
        XCTAssertEqual(problem { () throws(Problem) in try store.insertBook(JSONObject()) }?.detail, "a book with id x1 already exists")
        XCTAssertEqual(problem { () throws(Problem) in try store.insertBook(JSONObject()) }?.status, 409)
    }

    /// Every store error becomes its status here, and every call is timed, failed or not.
    func testErrorsMapOnceAndEveryCallIsTimed() {
        let cases: [(StoreError, Int, String?)] = [
            (.unavailable("down"), 503, "5"), (.timeout("slow"), 504, nil), (.storageFull("disk"), 507, "30"),
            (.corrupt("bad"), 500, nil), (.invalid("x"), 500, nil), (.documentTooLarge(limit: 10), 422, nil),
        ]
        for (error, status, retryAfter) in cases {
            let metrics = StoreMetrics()
            let store = InstrumentedStore(NoStore(error: error), metrics: metrics)
            let refused = problem { () throws(Problem) in _ = try store.listBooks(BookQuery(skip: 0, limit: 1)) }
            XCTAssertEqual(refused?.status, status, "\(error)")
            XCTAssertEqual(refused?.headers.first { $0.0 == "Retry-After" }?.1, retryAfter, "\(error)")
            var text = ""
            metrics.render(into: &text)
            XCTAssertTrue(text.contains(#"booksapi_store_operation_duration_seconds_count{operation="listBooks"} 1"#), text)
            XCTAssertTrue(text.contains(#"booksapi_store_errors_total{operation="listBooks""#), text)
        }
    }
}
