import Glibc
import HTTPServer
import JSON
import XCTest

@testable import BooksApp

final class StaticSiteTests: XCTestCase {
    private func site() throws -> (StaticSite, String) {
        let outside = temporaryDirectory("outside")
        writeFile(outside + "/secret.txt", Array("secret".utf8))
        let root = temporaryDirectory("static")
        mkdir(root + "/assets", 0o755)
        writeFile(root + "/index.html", Array("<h1>hi</h1>".utf8))
        writeFile(root + "/assets/app.3f2a9c1e.js", Array("export {}".utf8))
        writeFile(root + "/style.css", Array("body{color:red}".utf8))
        writeFile(root + "/style.css.gz", Array("GZIPPED".utf8))
        symlink(outside + "/secret.txt", root + "/leak.txt")
        symlink(outside, root + "/leakdir")
        symlink(root + "/style.css", root + "/inside-link.css")
        return (try XCTUnwrap(StaticSite(directory: root)), root)
    }

    private func get(_ site: StaticSite, _ path: String, _ headers: [(String, String)] = []) throws -> HTTPResponse {
        let file = try XCTUnwrap(site.lookup(path) ?? site.fallback(for: path), path)
        return StaticResponse.make(file, body: file.body!, request: HTTPRequest(method: .get, path: path, headers: headers))
    }

    func testServesFilesWithTypesAndCachingRules() throws {
        let (site, _) = try site()
        let index = try get(site, "/")
        XCTAssertEqual(index.body, Array("<h1>hi</h1>".utf8))
        XCTAssertEqual(index.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertEqual(index.header("Cache-Control"), "no-cache", "index.html is revalidated")
        XCTAssertNotNil(index.header("ETag"))
        XCTAssertNotNil(index.header("Last-Modified"))
        let asset = try get(site, "/assets/app.3f2a9c1e.js")
        XCTAssertEqual(asset.header("Content-Type"), "text/javascript; charset=utf-8")
        XCTAssertEqual(asset.header("Cache-Control"), "public, max-age=31536000, immutable", "fingerprinted names are cached for good")
        XCTAssertEqual(try get(site, "/inside-link.css").body, Array("body{color:red}".utf8), "a symlink inside the root is fine")
    }

    func testEveryEscapeIs404AndAppRoutesFallBack() throws {
        let (site, _) = try site()
        for path in [
            "/../outside/secret.txt", "/assets/../../x", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/.%2e/x", "/leak.txt",
            "/leakdir/secret.txt", "/nope.html", "/assets/../..", "/x/./y", "/a\\..\\b", "/index.html%00.js", "/./index.html", "/style.css.gz",
        ] {
            XCTAssertNil(site.lookup(path) ?? site.fallback(for: path), path)
        }
        XCTAssertEqual(site.fallback(for: "/inventory/cars")?.contentType, "text/html; charset=utf-8", "an app route gets index.html")
        XCTAssertNil(site.fallback(for: "/assets/missing.js"), "a missing asset stays 404")
        XCTAssertNotNil(site.fallback(for: "/assets"), "a directory is not a file: an app route like any other")
        XCTAssertNil(StaticSite(directory: "/nonexistent-booksapi-dir"))
    }

    func testConditionalRequests() throws {
        let (site, _) = try site()
        let first = try get(site, "/style.css")
        let etag = try XCTUnwrap(first.header("ETag")), modified = try XCTUnwrap(first.header("Last-Modified"))
        XCTAssertEqual(try get(site, "/style.css", [("If-None-Match", etag)]).status, 304)
        XCTAssertEqual(try get(site, "/style.css", [("If-None-Match", "\"other\"")]).status, 200)
        XCTAssertEqual(try get(site, "/style.css", [("If-Modified-Since", modified)]).status, 304)
        XCTAssertEqual(try get(site, "/style.css", [("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")]).status, 200)
        XCTAssertEqual(
            try get(site, "/style.css", [("If-None-Match", "\"other\""), ("If-Modified-Since", modified)]).status, 200,
            "If-None-Match takes precedence over If-Modified-Since")
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
    }

    func testGzipSibling() throws {
        let (site, _) = try site()
        let zipped = try get(site, "/style.css", [("Accept-Encoding", "br, gzip")])
        XCTAssertEqual(zipped.body, Array("GZIPPED".utf8))
        XCTAssertEqual(zipped.header("Content-Encoding"), "gzip")
        XCTAssertEqual(zipped.header("Vary"), "Accept-Encoding")
        let plain = try get(site, "/style.css", [("Accept-Encoding", "gzip;q=0, br")])
        XCTAssertEqual(plain.body, Array("body{color:red}".utf8))
        XCTAssertNil(plain.header("Content-Encoding"))
        XCTAssertNotEqual(zipped.header("ETag"), plain.header("ETag"), "each encoding has its own entity tag")
        XCTAssertNil(try get(site, "/index.html", [("Accept-Encoding", "gzip")]).header("Content-Encoding"), "no sibling, no gzip")
    }

    func testSingleRanges() throws {
        let (site, _) = try site()
        let partial = try get(site, "/style.css", [("Range", "bytes=0-3")])
        XCTAssertEqual(partial.status, 206)
        XCTAssertEqual(partial.body, Array("body".utf8))
        XCTAssertEqual(partial.header("Content-Range"), "bytes 0-3/15")
        XCTAssertEqual(try get(site, "/style.css", [("Range", "bytes=-4")]).body, Array("red}".utf8))
        XCTAssertEqual(try get(site, "/style.css", [("Range", "bytes=11-")]).body, Array("red}".utf8))
        let refused = try get(site, "/style.css", [("Range", "bytes=99-")])
        XCTAssertEqual(refused.status, 416)
        XCTAssertEqual(refused.header("Content-Range"), "bytes */15")
        XCTAssertEqual(try get(site, "/style.css", [("Range", "bytes=0-1,4-5")]).status, 200, "several ranges: the whole file")
        XCTAssertEqual(try get(site, "/style.css", [("Range", "bytes=0-1"), ("If-Range", "\"stale\"")]).status, 200)
        XCTAssertEqual(try get(site, "/style.css", [("Range", "lines=1-2")]).status, 200)
    }

    /// The route table and docs/openapi.json name the same routes with the same methods, both ways.
    func testTheRouteTableAndTheOpenAPIDocumentAgree() throws {
        let bytes = readFile(URLPath.packageRoot + "/docs/openapi.json")
        let doc = try XCTUnwrap(try JSONParser.parse(bytes).objectValue)
        let paths = try XCTUnwrap(doc["paths"]?.objectValue)
        let verbs: Set<String> = ["get", "put", "post", "patch", "delete", "head", "options"]
        var documented: [String: Set<String>] = [:]
        for field in paths { documented[field.key] = Set((field.value.objectValue?.fields ?? []).map(\.key).filter(verbs.contains)) }
        var routed: [String: Set<String>] = [:]
        for route in Route.table { routed[route.template] = Set(route.endpoints.map { $0.method.description.lowercased() }) }
        XCTAssertEqual(routed, documented, "every route in the table is documented with the same methods, and nothing else is")
        let parameters = paths["/books"]?.objectValue?["get"]?.objectValue?["parameters"]
        guard case .array(let list)? = parameters else { return XCTFail("no parameters") }
        let names = list.filter { $0.objectValue?["in"] == .string("query") }.compactMap { $0.objectValue?["name"]?.stringValue }
        XCTAssertEqual(names, BookRoutes.listParameters, "the accepted query names are the documented ones")
        XCTAssertTrue(list.contains { $0.objectValue?["name"] == .string("Prefer") && $0.objectValue?["in"] == .string("header") }, "Prefer is documented")
    }
}
