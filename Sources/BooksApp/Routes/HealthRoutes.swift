import HTTPServer
import JSON

/// /healthz: the process serves. /readyz: the store can serve too (503 otherwise).
enum HealthRoutes {
    static func healthz() -> HTTPResponse {
        HTTPResponse(status: 200, contentType: "application/json", body: Array("{\"status\":\"ok\"}".utf8))
    }

    static func readyz(_ store: InstrumentedStore) throws(Problem) -> HTTPResponse {
        do throws(Problem) {
            try store.checkReady()
        } catch {
            // The store's own words (a refused index and its remedy) where it gives them.
            throw Problem(503, "the store is not ready: \(error.detail)", headers: [("Retry-After", "5")])
        }
        return HTTPResponse(status: 200, contentType: "application/json", body: Array("{\"status\":\"ready\"}".utf8))
    }
}
