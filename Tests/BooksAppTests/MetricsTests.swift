import HTTPServer
import XCTest

@testable import BooksApp

final class MetricsTests: XCTestCase {
    func testRouteLabelsNeverContainIDs() {
        let cases: [(String, String)] = [
            ("/books", "/books"), ("/books/abc", "/books/{id}"), ("/books/", "(other)"), ("/books/a/b", "(other)"),
            ("/healthz", "/healthz"), ("/readyz", "/readyz"), ("/openapi.json", "/openapi.json"), ("/metrics", "/metrics"),
            ("/metrics/x", "(other)"), ("/cars", "/cars"), ("/lorries/x1", "/lorries/{id}"), ("/trucks/t/allocations", "/trucks/{id}/allocations"),
            ("/trucks/t/allocations/a", "/trucks/{id}/allocations/{allocation_id}"), ("/trucks/t/other", "(other)"),
            ("/cars//allocations", "(other)"), ("/cars/x/allocations/a/b", "(other)"), ("/index.html", "(other)"), ("-", "(other)"),
            ("", "(other)"), ("/", "(other)"), ("/bookss", "(other)"), ("/a/b/c/d/e/f/g", "(other)"),
        ]
        for (path, label) in cases { XCTAssertEqual(Metrics.routeLabels[index(path)], label, path) }
    }

    /// The label index App sets on a response: the matched route's, else the unmatched one.
    private func index(_ path: String) -> Int { ((try? Route.match(path)) ?? nil)?.index ?? Route.unmatched }

    func testPrometheusTextAndCumulativeBuckets() {
        let metrics = Metrics()
        metrics.record(method: .get, route: index("/books/1"), status: 200, nanos: 300_000)  // ≤ 0.5 ms
        metrics.record(method: .get, route: index("/books/2"), status: 200, nanos: 3_000_000)  // ≤ 5 ms
        metrics.record(method: .get, route: index("/books/3"), status: 404, nanos: 20_000_000_000)  // beyond 10 s
        metrics.record(method: .other("BREW"), route: index("/books"), status: 418, nanos: 1)
        metrics.store.observe(.insertBook, nanos: 2_000_000, error: .storageFull("disk"))
        let text = String(decoding: metrics.render(), as: UTF8.self)
        for line in [
            #"booksapi_http_requests_total{route="/books/{id}",method="GET",status="200"} 2"#,
            #"booksapi_http_requests_total{route="/books/{id}",method="GET",status="404"} 1"#,
            #"booksapi_http_requests_total{route="/books",method="other",status="4xx"} 1"#,
            #"booksapi_http_request_duration_seconds_bucket{route="/books/{id}",le="0.0005"} 1"#,
            #"booksapi_http_request_duration_seconds_bucket{route="/books/{id}",le="0.005"} 2"#,
            #"booksapi_http_request_duration_seconds_bucket{route="/books/{id}",le="10"} 2"#,
            #"booksapi_http_request_duration_seconds_bucket{route="/books/{id}",le="+Inf"} 3"#,
            #"booksapi_http_request_duration_seconds_sum{route="/books/{id}"} 20.0033"#,
            #"booksapi_http_request_duration_seconds_count{route="/books/{id}"} 3"#,
            #"booksapi_store_errors_total{operation="insertBook",error="storage_full"} 1"#,
            #"booksapi_store_operation_duration_seconds_count{operation="insertBook"} 1"#,
            "# TYPE booksapi_http_requests_total counter",
            "# TYPE booksapi_http_request_duration_seconds histogram",
        ] {
            XCTAssertTrue(text.contains(line + "\n"), "missing: \(line)\n\(text)")
        }
        // Every sample line is `name{labels} value` or `name value`, with a numeric value.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let value = line.split(separator: " ").last.map(String.init) ?? ""
            XCTAssertNotNil(Double(value), String(line))
        }
    }

    func testSecondsFormatting() {
        XCTAssertEqual(PrometheusText.seconds(0), "0")
        XCTAssertEqual(PrometheusText.seconds(500_000), "0.0005")
        XCTAssertEqual(PrometheusText.seconds(2_500_000_000), "2.5")
        XCTAssertEqual(PrometheusText.seconds(10_000_000_000), "10")
        XCTAssertEqual(PrometheusText.seconds(1), "0.000000001")
    }
}
