import TestSupport
import XCTest

@testable import BooksApp

/// The name index of ResourceTable (a page by name is a slice) against the general sort, through
/// random creates, renames (names repeat, so ties fall to the id) and deletes.
final class ResourceTableTests: XCTestCase {
    func testTheNameIndexAgreesWithTheGeneralSort() {
        var random = SeededGenerator(seed: 23)
        var table = ResourceTable()
        let kind = ResourceKind.all[0]
        for step in 0..<2_000 {
            let id = "r\(Int.random(in: 0..<150, using: &random))"
            if Int.random(in: 0..<5, using: &random) == 0 {
                table.remove(id: id)
            } else {
                table.put(Resource(id: id, name: ["Émile", "a", "B", "b", "ab"][Int.random(in: 0..<5, using: &random)], kind: kind, createdAt: Int64(step)), storedBytes: 10)
            }
            guard step % 50 == 0 else { continue }
            for ascending in [true, false] {
                let skip = Int.random(in: 0..<160, using: &random), limit = Int.random(in: 0..<40, using: &random)
                var indexed = ResourceQuery(skip: skip, limit: limit)
                indexed.sort = [(.name, ascending)]
                var general = indexed
                general.sort = [(.name, ascending), (.id, ascending)]  // two keys: the general sort
                let a = table.page(indexed, at: 0), b = table.page(general, at: 0)
                XCTAssertEqual(a.total, b.total, "seed 23, step \(step)")
                XCTAssertEqual(a.items.map(\.id), b.items.map(\.id), "seed 23, step \(step), ascending \(ascending)")
            }
        }
    }
}
