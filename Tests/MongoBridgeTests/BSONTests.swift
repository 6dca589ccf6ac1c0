import JSON
import TestSupport
import XCTest

@testable import MongoBridge

final class BSONTests: XCTestCase {
    static let everyType: Document = [
        "double": .double(1.5), "string": .string("héllo 😀"), "document": .document(["a": .int32(1)]),
        "array": .array([.int32(1), .string("two"), .array([])]), "binary": .binary(subtype: 0, bytes: [0, 1, 255]),
        "objectID": .objectID(ObjectID(hex: "65a1b2c3d4e5f60718293a4b")!), "bool": .bool(true), "datetime": .datetime(1_700_000_000_123),
        "null": .null, "regex": .regex(pattern: "^a.*", options: "i"), "int32": .int32(-7),
        "timestamp": .timestamp(increment: 1, seconds: 1_700_000_000), "int64": .int64(1 << 40),
        "decimal128": .decimal128(low: 110, high: 0x3040_0000_0000_0000 - (2 << 49)), "minKey": .minKey, "maxKey": .maxKey,
    ]

    func testEveryTypeRoundTripsThroughBytesInOrder() throws {
        let bytes = BSONCodec.encode(Self.everyType)
        let decoded = try BSONCodec.decode(bytes)
        XCTAssertEqual(decoded, Self.everyType)
        XCTAssertEqual(decoded.keys, Self.everyType.keys, "field order is kept")
    }

    func testLibbsonAgreesWithTheCodec() throws {
        // libbson validates our bytes and hands the same bytes back.
        let handle = try BSONHandle(Self.everyType)
        XCTAssertEqual(decode(handle.pointer), Self.everyType)
    }

    func testJSONConversionKeepsTypesAndHidesExtendedJSON() throws {
        let json = Self.everyType.json
        XCTAssertEqual(json["int32"], .int(-7))
        XCTAssertEqual(json["int64"], .int(1 << 40))
        XCTAssertEqual(json["double"], .double(1.5))
        XCTAssertEqual(json["objectID"], .string("65a1b2c3d4e5f60718293a4b"))
        XCTAssertEqual(json["datetime"], .string("2023-11-14T22:13:20.123Z"))
        XCTAssertEqual(json["binary"], .string("AAH/"))
        XCTAssertEqual(json["decimal128"], .string("1.10"))
        XCTAssertEqual(json.fields.map(\.key), Self.everyType.keys)
        let text = String(decoding: JSONWriter.encode(.object(json)), as: UTF8.self)
        XCTAssertFalse(text.contains("$oid") || text.contains("$numberLong") || text.contains("$date"), text)
    }

    func testJSONToBSONPicksIntegerWidths() throws {
        let object = try XCTUnwrap(try JSONParser.parse(Array(#"{"small":1,"big":5000000000,"f":2.5,"o":{"k":[true,null]}}"#.utf8)).objectValue)
        let document = Document(json: object)
        XCTAssertEqual(document["small"], .int32(1))
        XCTAssertEqual(document["big"], .int64(5_000_000_000))
        XCTAssertEqual(document["f"], .double(2.5))
        XCTAssertEqual(document["o"], .document(["k": .array([.bool(true), .null])]))
        XCTAssertEqual(document.json, object, "JSON -> BSON -> JSON is lossless")
    }

    func testMalformedBytesNeverCrash() {
        let good = BSONCodec.encode(Self.everyType)
        var generator = SeededGenerator(seed: 0xB5)
        for cut in 0..<good.count { _ = try? BSONCodec.decode(Array(good[0..<cut])) }
        for _ in 0..<2000 {
            var bad = good
            for _ in 0..<Int.random(in: 1...4, using: &generator) { bad[Int.random(in: 0..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? BSONCodec.decode(bad)
        }
        XCTAssertThrowsError(try BSONCodec.decode([5, 0, 0, 0]))
        XCTAssertThrowsError(try BSONCodec.decode([0xFF, 0xFF, 0xFF, 0x7F, 0]))
    }

    func testDates() {
        XCTAssertEqual(RFC3339.format(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(RFC3339.format(-1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(RFC3339.format(951_782_400_000), "2000-02-29T00:00:00Z")
    }
}
