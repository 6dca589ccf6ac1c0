import MongoBridge
import XCTest

@testable import BooksApp

/// The documents MongoStore builds from a query: values only, never operators a client chose.
final class MongoStoreQueryTests: XCTestCase {
    func testFiltersAreTypedValues() {
        var query = BookQuery(skip: 0, limit: 8)
        XCTAssertEqual(MongoStore.filter(for: query), Document())
        query.author = "$where"
        query.read = true
        query.yearFrom = -500
        query.yearTo = 2000
        let filter = MongoStore.filter(for: query)
        XCTAssertEqual(filter["author"], .document(["$eq": .string("$where")]), "an author is compared with $eq, never read as an operator")
        XCTAssertEqual(filter["read"], .document(["$in": .array([.bool(true), .int32(1)])]), "the original data's 1 and 0 match too")
        XCTAssertEqual(filter["year"], .document(["$gte": .int64(-500), "$lte": .int64(2000)]))
        query = BookQuery(skip: 0, limit: 8)
        query.text = "a.b"
        let pattern = BSON.document(["$regex": .string("a\\.b"), "$options": .string("i")])
        XCTAssertEqual(MongoStore.filter(for: query)["$or"], .array([.document(["title": pattern]), .document(["author": pattern])]))
    }

    func testEveryRegexMetacharacterIsEscaped() {
        XCTAssertEqual(MongoStore.escapeRegex(#".*+?^${}()|[]\/"#), #"\.\*\+\?\^\$\{\}\(\)\|\[\]\\\/"#)
        XCTAssertEqual(MongoStore.escapeRegex("Ünïcode and 42 words"), "Ünïcode and 42 words", "letters, digits and spaces stay")
        XCTAssertEqual(MongoStore.escapeRegex("a-b#c"), ##"a\-b\#c"##, "any other ASCII is escaped, PCRE's extended syntax included")
    }

    func testSortsMatchTheEmbeddedStoresOrder() {
        XCTAssertEqual(MongoStore.sortDocument([]), ["_id": .int32(1)], "no keys: insertion order")
        XCTAssertEqual(MongoStore.sortDocument([("title", true)]), ["title": .int32(1), "id": .int32(1)])
        XCTAssertEqual(MongoStore.sortDocument([("year", false)]), ["year": .int32(-1), "id": .int32(-1)], "one key: ties on id in the same direction")
        XCTAssertEqual(MongoStore.sortDocument([("author", true), ("year", false)]), ["author": .int32(1), "year": .int32(-1), "id": .int32(1)], "two keys: ties on id ascending")
        XCTAssertEqual(MongoStore.sortDocument([("id", false)]), ["id": .int32(-1)])
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
