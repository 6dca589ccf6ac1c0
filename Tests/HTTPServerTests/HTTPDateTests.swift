import XCTest

@testable import HTTPServer

final class HTTPDateTests: XCTestCase {
    func testTheIMFFixdateItself() {
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
        XCTAssertEqual(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT"), 0)
        XCTAssertEqual(HTTPDate.parse("Fri, 31 Dec 9999 23:59:59 GMT"), 253_402_300_799)
        XCTAssertEqual(HTTPDate.parse("Mon, 01 Jan 0001 00:00:00 GMT"), -62_135_596_800)
        XCTAssertEqual(HTTPDate.parse("Tue, 30 Jun 2015 23:59:60 GMT"), HTTPDate.parse("Tue, 30 Jun 2015 23:59:59 GMT"), "a leap second folds into :59")
    }

    /// The two requests that crashed the server (issue 12), and every shape like them.
    func testSignsSpacesAndLongDigitRunsAreNotDates() {
        let hostile = [
            "Sun, 06 Nov 1994 -999999999999999999:00:00 GMT",  // the crash: a signed 18-digit hour
            "Sun, 06 Nov 1994 08:-99999999999999999:37 GMT",  // a negative minute (HEAD /inventory)
            "Sun, 06 Nov 1994 08:49:-1 GMT", "Sun, 06 Nov 1994 -8:49:37 GMT", "Sun, 06 Nov 1994 +8:49:37 GMT",
            "Sun, 06 Nov 1994 +08:49:37 GMT", "Sun, -6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov -994 08:49:37 GMT",
            "Sun, 06 Nov +1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", "Sun, 06 Nov 1994  08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37  GMT", " Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 01994 08:49:37 GMT", "Sun, 006 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 008:49:37 GMT",
            "Sun, 06 Nov " + String(repeating: "9", count: 30) + " 08:49:37 GMT",
            "Sun, 06 Nov 1994 " + String(repeating: "0", count: 30) + "8:49:37 GMT",
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT", "Sun, 06 Nov -9223372036854775808 08:49:37 GMT",
            "Sun, 9223372036854775807 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 9223372036854775807:00:00 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 23:60:00 GMT", "Sun, 06 Nov 1994 23:59:61 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT", "Wed, 30 Feb 2000 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 nov 1994 08:49:37 GMT",
            "Mon, 06 Nov 1994 08:49:37 GMT",  // the wrong weekday: not this date
            "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "", "Sun, 06 Nov 1994 08:49:37 GM",
        ]
        for text in hostile { XCTAssertNil(HTTPDate.parse(text), text) }
    }

    func testAnyInstantFormatsWithinTheFourDigitYears() {
        XCTAssertEqual(String(decoding: HTTPDate.format(epochSeconds: .max), as: UTF8.self), "Fri, 31 Dec 9999 23:59:59 GMT")
        XCTAssertEqual(String(decoding: HTTPDate.format(epochSeconds: .min), as: UTF8.self), "Sat, 01 Jan 0000 00:00:00 GMT")
        XCTAssertEqual(HTTPDate.parse("Sat, 01 Jan 0000 00:00:00 GMT"), -62_167_219_200, "year 0000 is a 4DIGIT year too (a fuzzing seed)")
        XCTAssertEqual(HTTPDate.parse("Sun, 05 Nov 0000 08:49:37 GMT"), -62_140_489_823, "computed independently from Python's calendar")
    }

    /// Whatever the server formats, it parses back to the same second (seeded).
    func testFormatThenParseRoundTrips() {
        var state: UInt64 = 0xDA7E
        for _ in 0..<5_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let seconds = Int(state >> 30) % 253_402_300_799
            let text = String(decoding: HTTPDate.format(epochSeconds: seconds), as: UTF8.self)
            XCTAssertEqual(HTTPDate.parse(text), seconds, "\(text) (seed 0xDA7E)")
        }
    }
}

extension HTTPDateTests {
    func testHTTPDateParsingRefusesWhatCouldOverflow() {
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
        for hostile in [
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT", "Sun, 06 Nov -9223372036854775807 08:49:37 GMT",
            "Sun, 9223372036854775807 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 99999999999999999999:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT", "",
        ] {
            XCTAssertNil(HTTPDate.parse(hostile), hostile)
        }
    }

    func testDateFormat() {
        XCTAssertEqual(String(decoding: DateCache.format(epochSeconds: 784_111_777), as: UTF8.self), "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
