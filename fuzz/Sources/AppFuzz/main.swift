import FuzzSupport
import Glibc
import JSON

@testable import BooksApp
@testable import HTTPServer

// libFuzzer target: arbitrary bytes through a connection into the whole application (router,
// query parsing, conditional and range headers, static files, CORS, the token check, validation
// and the embedded store), fed whole and then split in two. Header values reaching the routes are
// where a parser-only target cannot look: a hostile If-Modified-Since once crashed the server.
// Writes need the token (in the dictionary), so the store grows slowly; deferred answers are dropped.

nonisolated(unsafe) let app: App = {
    let base = getenv("APPFUZZ_DIR").map { String(cString: $0) } ?? "/tmp"  // scripts/fuzz points it at a directory it removes
    var template = Array("\(base)/booksapi-appfuzz-XXXXXX".utf8CString)
    let directory = String(cString: mkdtemp(&template)!)
    let store = try! EmbeddedStore(directory: directory, maxDocumentBytes: 1024, compactMinBytes: 1 << 20)
    _ = try! store.seedBooks(
        [
            JSONObject([
                JSONField("id", .string("1")), JSONField("title", .string("The Last Man")), JSONField("author", .string("Mary Shelley")),
                JSONField("year", .int(1826)), JSONField("score", .int(8)), JSONField("read", .bool(true)),
            ]),
            JSONObject([
                JSONField("id", .string("2")), JSONField("title", .string("Dune")), JSONField("author", .string("Frank Herbert")),
                JSONField("score", .int(-1)), JSONField("read", .bool(false)),
            ]),
        ], replace: false)
    let car = ResourceKind.all[0]
    try! store.createResource(Resource(id: "c1", name: "Car", kind: car, createdAt: 0))
    _ = try! store.allocate(car, resourceID: "c1", Allocation(id: "a1", interval: Interval(from: 0, to: 3_600_000), allocationType: "hire", description: nil, data: nil), at: 0)
    var settings = Settings()
    settings.apiToken = "fuzz-token"
    settings.corsOrigins = ["https://spa.example"]
    settings.maxDocumentBytes = 1024
    settings.maxPageSize = 50
    return App(
        store: store, pool: WorkPool(threads: 1, maxQueued: 16, queueTimeout: .seconds(1)), settings: settings,
        log: AppLog(sink: nil, level: .off), metrics: Metrics(), staticSite: StaticSite(directory: "client-tier"),
        openAPI: Array("{}".utf8))
}()

let limits = fuzzLimits(body: 4096, headerBytes: 4096, requestLine: 1024, headerCount: 30)

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    feedConnection(data, size, limits: limits, handler: app)
    return 0
}

runLibFuzzer(fuzz)
