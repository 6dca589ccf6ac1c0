import HTTPServer
import JSON
import XCTest

@testable import BooksApp

/// Every integer and header value a client controls at the application level (issue 12 §1, §6).
final class HostileInputTests: XCTestCase {
    let routes = BookRoutes(store: NoStore.instrumented, validator: BookValidator(maxDocumentBytes: 16384), maxPageSize: 100)

    private func outcome(_ q: String) -> String {
        do throws(Problem) {
            let query = try routes.parseListQuery(QueryString(q)).1
            return "skip=\(query.skip) limit=\(query.limit) years=\(query.yearFrom.map(String.init) ?? "-")...\(query.yearTo.map(String.init) ?? "-")"
        } catch {
            return "\(error.status) \(error.detail)"
        }
    }

    func testPagingIntegersAreStrictDigits() {
        let thirty = String(repeating: "9", count: 30)
        for refused in [
            "skip=%2B5", "skip=+5", "skip=-0", "skip=-1", "skip=%205", "skip=5%20", "skip=\(thirty)", "skip=9223372036854775807",
            "skip=1000000001", "limit=%2B5", "limit=-0", "limit=\(thirty)", "limit=9223372036854775807", "limit=9223372036854775808",
            "limit=-9223372036854775808", "skip=0x10", "skip=1e3",
        ] {
            XCTAssertTrue(outcome(refused).hasPrefix("400 query parameter"), "\(refused): \(outcome(refused))")
        }
        XCTAssertEqual(outcome("skip=007&limit=08"), "skip=7 limit=8 years=-...-", "leading zeros are digits")
        XCTAssertEqual(outcome("skip=\(String(repeating: "0", count: 30))1000000000"), "skip=1000000000 limit=100 years=-...-")
    }

    func testYearBoundsTakeAMinusAndNothingElse() {
        XCTAssertEqual(outcome("year_gte=-9223372036854775808&year_lte=9223372036854775807"), "skip=0 limit=100 years=-9223372036854775808...9223372036854775807")
        XCTAssertEqual(outcome("year_gte=-0500&year_lte=0"), "skip=0 limit=100 years=-500...0")
        for refused in [
            "year_gte=-9223372036854775809", "year_lte=9223372036854775808", "year_gte=%2B1900", "year_gte=--1", "year_gte=-",
            "year_gte=\(String(repeating: "1", count: 30))", "year_gte=1900.0", "year_gte=%201900",
        ] {
            XCTAssertTrue(outcome(refused).hasPrefix("400 query parameter year_"), "\(refused): \(outcome(refused))")
        }
    }

    func testUnknownParametersAreNamedWithTheAcceptedOnes() {
        for (q, name) in [
            ("author[$ne]=x", "author[$ne]"), ("author%5B%24ne%5D=x", "author[$ne]"), ("sortAsc=author", "sortAsc"),
            ("skip=0&Limit=5", "Limit"), ("title=Dune", "title"),
        ] {
            let got = outcome(q)
            XCTAssertTrue(got.hasPrefix("400 unknown query parameter \"\(name)\""), "\(q): \(got)")
            XCTAssertTrue(got.contains("GET /books accepts skip, limit, sortasc, sortdesc, author, read, q, year_gte, year_lte"), got)
        }
        // What the SPA and the original Vue client send is all accepted.
        XCTAssertEqual(outcome("skip=8&limit=8&sortasc=title&q=dune&read=true"), "skip=8 limit=8 years=-...-")
        let inventory = InventoryRoutes(store: NoStore.instrumented, parser: AllocationParser(maxDataBytes: 1024), maxPageSize: 1000)
        XCTAssertNoThrow(
            try inventory.parseListQuery(
                QueryString("sortasc=created_at&limit=1000&available_from=2030-01-01T00:00:00Z&available_to=2030-01-02T00:00:00Z"), kind: ResourceKind.all[0]))
        XCTAssertThrowsError(try inventory.parseListQuery(QueryString("available_since=2030-01-01T00:00:00Z"), kind: ResourceKind.all[0])) { error in
            XCTAssertTrue((error as? Problem)?.detail.contains("\"available_since\"; GET /cars accepts") == true, "\(error)")
        }
    }

    func testLinkHeadersPercentEncodeWhatWouldBreakThem() throws {
        let header = PageLinks.header(path: "/books", parameters: try QueryString(#"q=a>;%20rel="x",<b\c&author=A+B"#), skip: 0, limit: 8, total: 42)
        let first = header.split(separator: ",", maxSplits: 1).first.map(String.init) ?? ""
        XCTAssertEqual(first, #"</books?q=a%3E%3B%20rel=%22x%22%2C%3Cb%5Cc&author=A+B&skip=0&limit=8>; rel="first""#)
        XCTAssertEqual(header.filter { $0 == "<" }.count, 3, "first, next and last, each one URL: \(header)")
    }

    func testByteRangesAreStrictDigitsAndSaturate() {
        typealias R = StaticResponse.Range
        let cases: [(String, R)] = [
            ("bytes=0-3", .range(0, 3)), ("bytes=007-008", .range(7, 8)), ("BYTES=1-2", .range(1, 2)), ("bytes= 1-2 ", .range(1, 2)),
            ("bytes=-4", .range(96, 99)), ("bytes=90-", .range(90, 99)),
            ("bytes=\(String(repeating: "0", count: 30))5-6", .range(5, 6)),
            ("bytes=0-\(String(repeating: "9", count: 30))", .range(0, 99)), ("bytes=0-9223372036854775807", .range(0, 99)),
            ("bytes=0-9223372036854775808", .range(0, 99)), ("bytes=-\(String(repeating: "9", count: 30))", .range(0, 99)),
            ("bytes=-9223372036854775807", .range(0, 99)),
            ("bytes=\(String(repeating: "9", count: 30))-", .unsatisfiable), ("bytes=9223372036854775807-", .unsatisfiable),
            ("bytes=100-", .unsatisfiable), ("bytes=-0", .unsatisfiable),
            ("bytes=+1-2", .whole), ("bytes=1-+2", .whole), ("bytes=-1-2", .whole), ("bytes=--1", .whole), ("bytes=1 -2", .whole),
            ("bytes=0x1-2", .whole), ("bytes=2-1", .whole), ("bytes=1-2,3-4", .whole), ("bytes=", .whole), ("bytes=-", .whole),
            ("lines=1-2", .whole), ("bytes=-9223372036854775808", .range(0, 99)),
        ]
        for (header, expected) in cases { XCTAssertEqual(StaticResponse.byteRange(header, length: 100), expected, header) }
        XCTAssertEqual(StaticResponse.byteRange("bytes=0-5", length: 0), .unsatisfiable)
        XCTAssertEqual(StaticResponse.byteRange("bytes=-5", length: 0), .unsatisfiable)
    }

    func testEntityTagsAreOpaqueStrings() {
        let current = ETag.of(Array("x".utf8))
        for hostile in [
            "\"-1\"", "\"+1\"", "\"\(String(repeating: "0", count: 30))1\"", "\"9223372036854775807\"", "\"-9223372036854775808\"",
            "W/", "\"", ",,,", String(repeating: "\"a\",", count: 1000), "W/\"\(current.dropFirst())",
        ] {
            XCTAssertFalse(ETag.matches(hostile, current: current), hostile)
            XCTAssertTrue(ETag.noneMatch(hostile, current: current) || hostile.hasPrefix("W/"), hostile)
        }
        XCTAssertTrue(ETag.matches(" \(current) ,\"b\"", current: current))
    }

    func testPercentDecodingNeedsTwoHexDigits() {
        for hostile in ["%", "%4", "%GG", "%-1", "%+1", "%%41", "%4%1", "a%"] {
            XCTAssertThrowsError(try QueryString.decode(Substring(hostile), what: "x"), hostile)
        }
        XCTAssertEqual(try QueryString.decode("%41%2b%2B+", what: "x"), "A++ ")
        XCTAssertThrowsError(try QueryString.decode("%00041", what: "x"), "%00 decodes to NUL, which is refused")
    }

    /// Allocation times are RFC 3339: every field a fixed run of digits, so a sign, a longer year or
    /// an Int64-sized number is not a time; a fraction may be long, and only milliseconds count.
    func testAllocationTimesAreFixedDigitFields() {
        XCTAssertEqual(AllocationParser.instant("2030-01-01T00:00:00Z", offsetOptional: false), 1_893_456_000_000)
        XCTAssertEqual(AllocationParser.instant("2030-01-01T00:00:00." + String(repeating: "9", count: 30) + "Z", offsetOptional: false), 1_893_456_000_999)
        XCTAssertEqual(AllocationParser.instant("2030-01-01T00:00:00.5" + String(repeating: "0", count: 30) + "Z", offsetOptional: false), 1_893_456_000_500)
        XCTAssertEqual(AllocationParser.instant("9999-12-31T23:59:59.999Z", offsetOptional: false), Timestamp.latest)
        XCTAssertEqual(AllocationParser.instant("0001-01-01T00:00:00Z", offsetOptional: false), Timestamp.earliest)
        for hostile in [
            "+2030-01-01T00:00:00Z", "-2030-01-01T00:00:00Z", "02030-01-01T00:00:00Z", "2030-+1-01T00:00:00Z",
            "2030-01-01T-1:00:00Z", "2030-01-01T00:-0:00Z", "2030-01-01T00:00:+0Z", "9223372036854775807-01-01T00:00:00Z",
            String(repeating: "9", count: 30) + "-01-01T00:00:00Z", "2030-01-01T00:00:00+99:00", "2030-01-01T00:00:00+01:60",
            "2030-01-01T00:00:00+1:00", "2030-01-01T00:00:00.Z", "2030-01-01T00:00:00", "0000-01-01T00:00:00Z",
            "2030-01-01T00:00:00+" + String(repeating: "0", count: 30), "2030-02-30T00:00:00Z", "2030-01-01T24:00:00Z",
        ] {
            XCTAssertNil(AllocationParser.instant(hostile, offsetOptional: false), hostile)
        }
        XCTAssertEqual(AllocationParser.instant("2030-01-01T00:00:00", offsetOptional: true), 1_893_456_000_000, "the guide's format")
    }

    func testBookYearsAreJSONIntegersWithinTheirRange() {
        for hostile: JSONValue in [.double(9_223_372_036_854_775_808), .double(-9.3e18), .double(1e300), .int(Int64.max), .int(Int64.min), .string("1999")] {
            var errors: [FieldError] = []
            XCTAssertNil(BookValidator.year(hostile, &errors), "\(hostile)")
            XCTAssertEqual(errors.first?.field, "year")
        }
        var errors: [FieldError] = []
        XCTAssertEqual(BookValidator.year(.double(1999), &errors), 1999)
    }

    func testScoreStringsAreStrictIntegers() {
        var errors: [FieldError] = []
        XCTAssertEqual(BookValidator.score(.string("8"), &errors), 8)
        XCTAssertEqual(BookValidator.score(.string("-1"), &errors), -1)
        XCTAssertEqual(BookValidator.score(.string("08"), &errors), 8)
        XCTAssertTrue(errors.isEmpty)
        for hostile in ["+8", "--1", "-", "", " 8", "8 ", String(repeating: "9", count: 30), "9223372036854775808", "-9223372036854775809", "1e1"] {
            var e: [FieldError] = []
            XCTAssertNil(BookValidator.score(.string(hostile), &e), hostile)
            XCTAssertEqual(e.first?.field, "score", hostile)
        }
        var e: [FieldError] = []
        XCTAssertNil(BookValidator.score(.string("9223372036854775807"), &e), "a number, out of range")
        XCTAssertEqual(e.first?.message, "must be from -1 to 10 (-1: unrated)")
    }
}
