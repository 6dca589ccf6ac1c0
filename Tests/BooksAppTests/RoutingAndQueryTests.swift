@testable import BooksApp
import HTTPServer
import JSON
import XCTest

final class RoutingAndQueryTests: XCTestCase {
    let routes = BookRoutes(store: NoStore.instrumented, validator: BookValidator(maxDocumentBytes: 16384), maxPageSize: 100)

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

    private func query(_ q: String) throws -> BookQuery { try routes.parseListQuery(QueryString(q)).1 }

    private func problem(_ q: String) -> String? {
        do { _ = try query(q); return nil } catch let p as Problem { return "\(p.status) \(p.detail)" } catch { return "\(error)" }
    }

    func testListParameters() throws {
        let q = try query("skip=8&limit=8&sortasc=author&author=Hugh+Howey&read=true&q=w%C3%B6rld&year_gte=1900&year_lte=2000")
        XCTAssertEqual(q.skip, 8)
        XCTAssertEqual(q.limit, 8)
        XCTAssertEqual(q.sort, [BookSort(field: .author, ascending: true)])
        XCTAssertEqual(q.author, "Hugh Howey")
        XCTAssertEqual(q.read, true)
        XCTAssertEqual(q.text, "wörld")
        XCTAssertEqual(q.yearFrom, 1900)
        XCTAssertEqual(q.yearTo, 2000)
        XCTAssertEqual(try query("").limit, 100, "default limit is the maximum page")
        XCTAssertEqual(try query("limit=0").limit, 100, "pymongo's limit(0)")
        XCTAssertEqual(try query("sortdesc=year").sort, [BookSort(field: .year, ascending: false)])
        XCTAssertEqual(try query("sortdesc=year&sortasc=author").sort, [BookSort(field: .author, ascending: true), BookSort(field: .year, ascending: false)],
                       "sortasc is the primary key, sortdesc the secondary")
        XCTAssertEqual(try query("sortasc=id&sortdesc=id").sort, [BookSort(field: .id, ascending: true)])
    }

    func testInvalidParametersNameThemselves() {
        let cases: [(String, String)] = [
            ("skip=-1", "400 query parameter skip"), ("skip=abc", "400 query parameter skip"),
            ("limit=101", "400 query parameter limit must be at most 100"), ("limit=x", "400 query parameter limit"),
            ("sortasc=color", "400 query parameter sortasc names an unknown field"),
            ("sortdesc=%24where", "400 query parameter sortdesc names an unknown field"),
            ("read=maybe", "400 query parameter read"), ("year_gte=old", "400 query parameter year_gte"),
            ("limit=1&limit=2", "400 query parameter limit is given more than once"),
            ("author=%E0%A4", "400 query parameter author is not valid UTF-8"),
            ("q=%2", "400 query parameter q has an invalid percent-encoding"),
            ("author=a%00b", "400 query parameter author contains a NUL byte"),
        ]
        for (q, expected) in cases {
            let got = problem(q) ?? "accepted"
            XCTAssertTrue(got.hasPrefix(expected), "\(q): \(got)")
        }
    }

    func testLinkHeader() throws {
        let header = PageLinks.header(path: "/books", parameters: try QueryString("sortasc=author&skip=8&limit=8"), skip: 8, limit: 8, total: 42)
        XCTAssertEqual(header, #"</books?sortasc=author&skip=0&limit=8>; rel="first", </books?sortasc=author&skip=0&limit=8>; rel="prev", </books?sortasc=author&skip=16&limit=8>; rel="next", </books?sortasc=author&skip=40&limit=8>; rel="last""#)
        let lastPage = PageLinks.header(path: "/books", parameters: try QueryString(nil), skip: 40, limit: 8, total: 42)
        XCTAssertFalse(lastPage.contains("rel=\"next\""))
    }

    func testSettingsFromEnvironmentAndDotEnv() throws {
        let dot = DotEnv.parse("# comment\nexport PORT=6000\nLOG_LEVEL = 'warn'\nHOST=\"127.0.0.1\" \nCORS_ORIGINS=http://a.example, https://b.example # two\n")
        let s = try Settings.load(environment: ["PORT": "7000"], dotEnv: dot, cores: 4)
        XCTAssertEqual(s.port, 7000, "the environment wins over .env")
        XCTAssertEqual(s.logLevel, .warn)
        XCTAssertEqual(s.host, "127.0.0.1")
        XCTAssertEqual(s.corsOrigins, ["http://a.example", "https://b.example"])
        XCTAssertEqual(s.ioThreads, 4)
        let defaults = try Settings.load(environment: [:], dotEnv: [:], cores: 2)
        XCTAssertEqual(defaults.port, 5000)
        XCTAssertEqual(defaults.host, "0.0.0.0")
        XCTAssertEqual(defaults.dataDir, "./data")
        XCTAssertNil(defaults.mongodbURL)
    }

    func testInvalidSettingsNameTheSetting() {
        let cases: [(String, String)] = [("PORT", "70000"), ("PORT", "abc"), ("LOG_LEVEL", "loud"), ("HEADER_TIMEOUT", "-1"),
                                         ("MAX_BODY_BYTES", "x"), ("CORS_ORIGINS", "example.com"), ("MONGODB_URL", "postgres://x"),
                                         ("WORKER_THREADS", "0"), ("DATA_DIR", "")]
        for (name, value) in cases {
            XCTAssertThrowsError(try Settings.load(environment: [name: value], dotEnv: [:], cores: 2)) { error in
                XCTAssertEqual((error as? SettingsError)?.name, name)
                XCTAssertTrue("\(error)".contains(name))
            }
        }
    }

    func testHelpListsEverySetting() {
        for definition in Settings.definitions {
            XCTAssertTrue(Settings.helpText.contains(definition.name), definition.name)
            XCTAssertFalse(definition.help.isEmpty)
        }
    }

    /// The README's settings block is `--help`'s list, line for line (HOST was once missing).
    func testTheREADMEListsEverySettingAsHelpDoes() throws {
        let readme = String(decoding: readFile(URLPath.packageRoot + "/README.md"), as: UTF8.self)
        let helpLines = Settings.helpText.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains("(default: ") }
        XCTAssertEqual(helpLines.count, Settings.definitions.count)
        for line in helpLines { XCTAssertTrue(readme.contains(line + "\n"), "README.md lacks: \(line)") }
    }

    func testSeedFileHasTheSampleBooks() throws {
        let root = URLPath.packageRoot
        let books = try SeedFile.books(path: root + "/rawdata/book-data-to-insert.js")
        XCTAssertEqual(books.count, 42)
        XCTAssertEqual(books.compactMap { $0.objectValue?["id"]?.stringValue }, (1...42).map(String.init))
    }
}

/// The package root, found from this file's path.
enum URLPath {
    static var packageRoot: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }
}

/// A store whose every call fails with `error`: for tests that stop at parsing, and for the
/// instrumented store's mapping.
final class NoStore: BookStore, InventoryStore, @unchecked Sendable {
    static let instrumented = InstrumentedStore(NoStore(), metrics: StoreMetrics())
    let error: StoreError
    init(error: StoreError = .unavailable("no store")) { self.error = error }
    let readsAreNonBlocking = true
    func listBooks(_ query: BookQuery) throws(StoreError) -> BookPage { throw error }
    func book(id: String) throws(StoreError) -> [UInt8]? { throw error }
    func insertBook(_ book: JSONObject) throws(StoreError) { throw error }
    func updateBook(id: String, patch: BookPatch, precondition: (([UInt8]) -> Bool)?) throws(StoreError) -> UpdateOutcome { throw error }
    func deleteBook(id: String) throws(StoreError) -> Bool { throw error }
    func checkReady() throws(StoreError) { throw error }
    func seedBooks(_ books: [JSONObject], replace: Bool) throws(StoreError) -> Int { throw error }
    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]) { throw error }
    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource? { throw error }
    func createResource(_ resource: Resource) throws(StoreError) { throw error }
    func renameResource(_ kind: ResourceKind, id: String, name: String) throws(StoreError) -> Resource? { throw error }
    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool { throw error }
    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation) throws(StoreError) -> AllocationOutcome { throw error }
    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? { throw error }
}

final class ETagTests: XCTestCase {
    func testStrongTagIsFNV1aOfTheBytesInSixteenHexDigits() {
        XCTAssertEqual(ETag.of([]), "\"cbf29ce484222325\"")  // the FNV-1a 64 offset basis
        XCTAssertEqual(ETag.of(Array("a".utf8)), "\"af63dc4c8601ec8c\"")
        XCTAssertEqual(ETag.of(Array("foobar".utf8)), "\"85944171f73967e8\"")
    }
}

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

final class MongoPageTotalTests: XCTestCase {
    func testAShortPageProvesTheTotalAndAFullOneDoesNot() {
        XCTAssertEqual(MongoStore.total(afterPage: 3, 0, 8), 3)
        XCTAssertEqual(MongoStore.total(afterPage: 2, 40, 8), 42, "the last, short page")
        XCTAssertEqual(MongoStore.total(afterPage: 0, 0, 8), 0, "nothing matches at all")
        XCTAssertNil(MongoStore.total(afterPage: 8, 0, 8), "a full page may have more behind it")
        XCTAssertNil(MongoStore.total(afterPage: 0, 50, 8), "past the end: how far is unknown")
        XCTAssertNil(MongoStore.total(afterPage: 0, 0, 0), "limit 0 reads nothing")
    }
}
