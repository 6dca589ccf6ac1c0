import HTTPServer
import JSON
import XCTest

@testable import BooksApp

/// The list parameters every list endpoint shares, and their Link header (ListQuery.swift, PageLinks.swift).
final class ListQueryTests: XCTestCase {
    let routes = BookRoutes(store: NoStore.instrumented, validator: BookValidator(maxDocumentBytes: 16384), maxPageSize: 100)

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
        XCTAssertEqual(
            try query("sortdesc=year&sortasc=author").sort, [BookSort(field: .author, ascending: true), BookSort(field: .year, ascending: false)],
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
        XCTAssertEqual(
            header,
            #"</books?sortasc=author&skip=0&limit=8>; rel="first", </books?sortasc=author&skip=0&limit=8>; rel="prev", </books?sortasc=author&skip=16&limit=8>; rel="next", </books?sortasc=author&skip=40&limit=8>; rel="last""#
        )
        let lastPage = PageLinks.header(path: "/books", parameters: try QueryString(nil), skip: 40, limit: 8, total: 42)
        XCTAssertFalse(lastPage.contains("rel=\"next\""))
    }

    func testLinksWithoutACount() throws {
        let full = PageLinks.header(path: "/books", parameters: try QueryString(nil), skip: 8, limit: 8, total: nil, pageIsFull: true)
        XCTAssertTrue(full.contains(#"skip=16&limit=8>; rel="next""#), full)
        XCTAssertFalse(full.contains(#"rel="last""#), "no count, so no last page")
        let short = PageLinks.header(path: "/books", parameters: try QueryString(nil), skip: 8, limit: 8, total: nil, pageIsFull: false)
        XCTAssertFalse(short.contains(#"rel="next""#), "a short page is the last")
        let huge = PageLinks.header(path: "/books", parameters: try QueryString(nil), skip: Int.max - 1, limit: 8, total: nil)
        XCTAssertFalse(huge.contains(#"rel="next""#), "skip + limit past Int.max offers no next")
    }

    /// RFC 7240: a known count preference anywhere in the list, any case of the token, an optional
    /// quoted value and parameters; anything else is ignored, never refused.
    func testCountPreferenceParsing() {
        XCTAssertEqual(CountPreference.of("count=none"), CountPreference.none)
        XCTAssertEqual(CountPreference.of("return=minimal, COUNT = exact"), .exact)
        XCTAssertEqual(CountPreference.of(#"count="estimated"; strict"#), .estimated)
        XCTAssertEqual(CountPreference.of("handling=strict,count=none"), CountPreference.none)
        for ignored in [nil, "", "count", "count=", "count=all", "count=NONE", "counts=none", "respond-async"] {
            XCTAssertNil(CountPreference.of(ignored), String(describing: ignored))
        }
    }

    /// Only pages whose cost the page bounds run on the I/O threads (RouteTable's `.storeReadIf`).
    func testWhichBookListsAreBounded() {
        func bounded(_ query: String?) -> Bool { BookRoutes.isBounded(HTTPRequest(method: .get, path: "/books", query: query)) }
        XCTAssertTrue(bounded(nil))
        XCTAssertTrue(bounded("limit=8&skip=900000&sortdesc=title"))
        XCTAssertTrue(bounded("cursor=&sortasc=year"))
        for unbounded in ["q=winter", "author=A", "read=true", "year_gte=1", "year_lte=2", "sortasc=title&sortdesc=year", "limit=%zz"] {
            XCTAssertFalse(bounded(unbounded), unbounded)
        }
    }

    /// Cursor tokens round-trip, and anything else is a 400 naming `cursor`.
    func testCursorTokensAreCheckedStrictly() throws {
        let sort = BookSort(field: .year, ascending: false)
        let cursor = PageCursor(sort: sort, key: .int(1999), id: "7", position: nil)
        XCTAssertEqual(try PageCursor(token: cursor.token, sort: sort), cursor)
        func hex(_ json: String) -> String { json.utf8.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
        for bad in ["zz", "0", hex("[]"), hex(#"{"k":null,"i":"x"}"#), hex(#"{"k":null,"i":"x","p":"+5"}"#), hex(#"{"k":1,"i":"x","s":"nope","a":true}"#), cursor.token + "00"] {
            XCTAssertThrowsError(try PageCursor(token: bad, sort: nil), bad) { XCTAssertEqual(($0 as? Problem)?.status, 400) }
        }
        XCTAssertThrowsError(try PageCursor(token: cursor.token, sort: BookSort(field: .year, ascending: true)), "a cursor of another sort")
    }
}
