@testable import BooksAPI
import Glibc
import JSON
import XCTest

final class StaticFilesTests: XCTestCase {
    func testServesFilesAndRefusesEveryEscape() throws {
        let outside = temporaryDirectory("outside")
        writeFile(outside + "/secret.txt", Array("secret".utf8))
        let root = temporaryDirectory("static")
        mkdir(root + "/assets", 0o755)
        writeFile(root + "/index.html", Array("<h1>hi</h1>".utf8))
        writeFile(root + "/assets/app.js", Array("export {}".utf8))
        symlink(outside + "/secret.txt", root + "/leak.txt")
        symlink(outside, root + "/leakdir")
        let files = try XCTUnwrap(StaticFiles(directory: root))

        let index = try files.response(for: "/")
        XCTAssertEqual(index.body, Array("<h1>hi</h1>".utf8))
        XCTAssertEqual(index.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertEqual(try files.response(for: "/assets/app.js").header("Content-Type"), "text/javascript; charset=utf-8")
        XCTAssertEqual(try files.response(for: "/assets%2Fapp.js").body, Array("export {}".utf8))

        for path in ["/../outside/secret.txt", "/assets/../../x", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/.%2e/x", "/leak.txt",
                     "/leakdir/secret.txt", "/assets", "/nope.html", "/a\\..\\b", "/index.html%00.js", "/./index.html"] {
            XCTAssertThrowsError(try files.response(for: path), path) { error in
                XCTAssertEqual((error as? Problem)?.status, path == "/index.html%00.js" ? 400 : 404, path)
            }
        }
        XCTAssertNil(StaticFiles(directory: root + "/missing"))
    }

    func testOpenAPIDocumentsEveryRoute() throws {
        let bytes = readFile(URLPath.packageRoot + "/docs/openapi.json")
        let doc = try XCTUnwrap(try JSONParser.parse(bytes).objectValue)
        let paths = try XCTUnwrap(doc["paths"]?.objectValue)
        let expected: [(String, [String])] = [("/books", ["get", "post"]), ("/books/{id}", ["get", "put", "patch", "delete"]),
                                              ("/healthz", ["get"]), ("/readyz", ["get"])]
        for (path, methods) in expected {
            let item = try XCTUnwrap(paths[path]?.objectValue, path)
            for method in methods { XCTAssertNotNil(item[method], "\(method) \(path) undocumented") }
        }
        let parameters = paths["/books"]?.objectValue?["get"]?.objectValue?["parameters"]
        guard case .array(let list)? = parameters else { return XCTFail("no parameters") }
        let names = list.compactMap { $0.objectValue?["name"]?.stringValue }
        XCTAssertEqual(Set(names), ["skip", "limit", "sortasc", "sortdesc", "author", "read", "q", "year_gte", "year_lte"])
    }
}
