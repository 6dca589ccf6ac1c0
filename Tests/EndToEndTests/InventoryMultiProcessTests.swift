import TestSupport
import XCTest

/// The booking race across two API processes sharing one MongoDB: only the database's atomic
/// conditional update can keep allocations apart here.
final class InventoryMultiProcessTests: XCTestCase {
    func testTwoServersOnOneMongoDBNeverOverlap() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let first = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        let second = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer { first.stop(); second.stop() }
        var cars: [String] = []
        for _ in 0..<2 {
            let r = try first.client().request("POST", "/cars", headers: [("Content-Type", "application/json")], body: #"{"name":"Shared"}"#)
            cars.append(String(r.header("Location")!.dropFirst("/cars/".count)))
        }
        XCTAssertEqual(try second.client().request("GET", "/cars/\(cars[0])").status, 200, "both processes see one database")
        let outcomes = try InventoryRace.run(ports: [first.port, second.port], cars: cars, workers: 12, attempts: 25)
        try InventoryRace.verify(outcomes, cars: cars, port: second.port)
    }
}
