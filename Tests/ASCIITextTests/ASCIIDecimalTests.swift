import ASCIIText
import TestSupport
import XCTest

final class ASCIIDecimalTests: XCTestCase {
    func testDigitsOnlyWithoutASign() {
        XCTAssertEqual(ASCIIDecimal.parse("0"), 0)
        XCTAssertEqual(ASCIIDecimal.parse("42"), 42)
        for refused in ["", "+1", "-1", " 1", "1 ", "1_000", "0x10", "1e3", "١", "1.0", "--1", "+", "-"] {
            XCTAssertNil(ASCIIDecimal.parse(refused), "\(refused.debugDescription) is not 1*DIGIT")
        }
    }

    func testLeadingZerosAreDigitsLikeAnyOther() {
        XCTAssertEqual(ASCIIDecimal.parse("007"), 7)
        XCTAssertEqual(ASCIIDecimal.parse(String(repeating: "0", count: 30) + "5"), 5, "30 leading zeros cannot overflow")
        XCTAssertEqual(ASCIIDecimal.parse("-0007", allowMinus: true), -7)
    }

    func testThirtyDigitsAreRefusedNotWrapped() {
        XCTAssertNil(ASCIIDecimal.parse(String(repeating: "9", count: 30)))
        XCTAssertNil(ASCIIDecimal.parse("-" + String(repeating: "9", count: 30), allowMinus: true))
        XCTAssertNil(ASCIIDecimal.parse("123456789012345678901234567890"))
    }

    func testInt64Neighbours() {
        XCTAssertEqual(ASCIIDecimal.parse("9223372036854775807"), Int64.max)
        XCTAssertEqual(ASCIIDecimal.parse("9223372036854775806"), Int64.max - 1)
        XCTAssertNil(ASCIIDecimal.parse("9223372036854775808"), "Int64.max + 1")
        XCTAssertEqual(ASCIIDecimal.parse("-9223372036854775808", allowMinus: true), Int64.min)
        XCTAssertEqual(ASCIIDecimal.parse("-9223372036854775807", allowMinus: true), Int64.min + 1)
        XCTAssertNil(ASCIIDecimal.parse("-9223372036854775809", allowMinus: true), "Int64.min - 1")
        XCTAssertNil(ASCIIDecimal.parse("-9223372036854775808"), "a sign only where the caller allows one")
        XCTAssertEqual(ASCIIDecimal.int("9223372036854775807"), Int.max)
    }

    /// Every digit string agrees with Swift's own parser wherever both accept it (seeded).
    func testAgreesWithTheStandardLibraryOnRandomDigitStrings() {
        let seed: UInt64 = 0x5EED_1234
        var random = SeededGenerator(seed: seed)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 25) + 1
            var text = (random.next() % 3 == 0) ? "-" : ""
            for _ in 0..<length { text.append(Character(UnicodeScalar(UInt8(ascii: "0") + UInt8(random.next() % 10)))) }
            XCTAssertEqual(ASCIIDecimal.parse(text, allowMinus: true), Int64(text), "\(text) (seed \(seed))")
        }
    }
}

final class CivilDateTests: XCTestCase {
    func testDaysRoundTripAcrossTheFourDigitYears() {
        for days in stride(from: CivilDate.daysFromCivil(year: 1, month: 1, day: 1), through: CivilDate.daysFromCivil(year: 9999, month: 12, day: 31), by: 997) {
            let (y, m, d) = CivilDate.civil(fromDays: days)
            XCTAssertEqual(CivilDate.daysFromCivil(year: y, month: m, day: d), days)
            XCTAssertTrue((1...CivilDate.daysIn(month: m, year: y)).contains(d))
        }
        XCTAssertEqual(CivilDate.daysFromCivil(year: 1970, month: 1, day: 1), 0)
        XCTAssertEqual(CivilDate.daysIn(month: 2, year: 2000), 29)
        XCTAssertEqual(CivilDate.daysIn(month: 2, year: 1900), 28)
    }
}
