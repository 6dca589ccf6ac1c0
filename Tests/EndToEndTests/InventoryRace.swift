import Dispatch
import Foundation
import JSON
import TestSupport
import XCTest

/// A booking race for the concurrency tests: workers post random, often overlapping, hour slots.
enum InventoryRace {
    struct Outcome {
        var car: String
        var from: Int
        var to: Int
        var status: Int
        var id: String?
        var conflicts: [(id: String, from: Int, to: Int)]
    }

    static func hour(_ h: Int) -> String { String(format: "2026-07-%02dT%02d:00:00Z", 1 + h / 24, h % 24) }
    static func hourOf(_ s: String) -> Int {
        let parts = s.split(whereSeparator: { "-T:".contains($0) })
        return (Int(parts[2])! - 1) * 24 + Int(parts[3])!
    }

    /// Each worker uses its own connection to one of `ports` (several API processes share one MongoDB).
    static func run(ports: [Int], cars: [String], workers: Int, attempts: Int) throws -> [Outcome] {
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var generator = SystemRandomNumberGenerator()
            do {
                let client = try RawHTTPClient(port: ports[worker % ports.count], timeoutSeconds: 30)
                for _ in 0..<attempts {
                    let car = cars.randomElement(using: &generator)!
                    let from = Int.random(in: 0..<48, using: &generator), to = from + Int.random(in: 1...6, using: &generator)
                    let r = try client.request(
                        "POST", "/cars/\(car)/allocations", headers: [("Content-Type", "application/json")],
                        body: #"{"from":"\#(hour(from))","to":"\#(hour(to))","allocation_type":"race"}"#)
                    let body = try JSONParser.parse(r.body).objectValue
                    let conflicts = (body?["conflicts"]).flatMap { v -> [JSONValue]? in if case .array(let a) = v { return a } else { return nil } } ?? []
                    let outcome = Outcome(
                        car: car, from: from, to: to, status: r.status, id: r.status == 201 ? body?["id"]?.stringValue : nil,
                        conflicts: conflicts.compactMap { c in
                            guard let o = c.objectValue, let id = o["id"]?.stringValue, let f = o["from"]?.stringValue, let t = o["to"]?.stringValue else { return nil }
                            return (id, hourOf(f), hourOf(t))
                        })
                    results.add(outcome)
                }
            } catch {
                results.fail("\(error)")
            }
        }
        XCTAssertEqual(results.failures, [], "client errors during the race")
        return results.outcomes
    }

    /// Outcomes gathered from the racing workers.
    final class Results: @unchecked Sendable {  // guarded by `lock`
        private let lock = NSLock()
        private(set) var outcomes: [Outcome] = []
        private(set) var failures: [String] = []
        func add(_ o: Outcome) { lock.lock(); outcomes.append(o); lock.unlock() }
        func fail(_ f: String) { lock.lock(); failures.append(f); lock.unlock() }
    }

    static func verify(_ outcomes: [Outcome], cars: [String], port: Int) throws {
        XCTAssertTrue(outcomes.allSatisfy { $0.status == 201 || $0.status == 409 }, "statuses: \(Set(outcomes.map(\.status)))")
        XCTAssertGreaterThan(outcomes.filter { $0.status == 201 }.count, 0)
        XCTAssertGreaterThan(outcomes.filter { $0.status == 409 }.count, 0, "the race should produce conflicts")
        let client = try RawHTTPClient(port: port)
        for car in cars {
            let stored = try JSONParser.parse(try client.request("GET", "/cars/\(car)/allocations").body)
            guard case .array(let items) = stored else { return XCTFail("no allocations array") }
            let intervals = items.compactMap { item -> (String, Int, Int)? in
                guard let o = item.objectValue, let id = o["id"]?.stringValue, let f = o["from"]?.stringValue, let t = o["to"]?.stringValue else { return nil }
                return (id, hourOf(f), hourOf(t))
            }.sorted { $0.1 < $1.1 }
            for (a, b) in zip(intervals, intervals.dropFirst()) { XCTAssertLessThanOrEqual(a.2, b.1, "stored allocations overlap on \(car): \(a) and \(b)") }
            let storedIDs = Set(intervals.map(\.0))
            for o in outcomes where o.car == car {
                if o.status == 201 { XCTAssertTrue(storedIDs.contains(o.id ?? "?"), "a 201 was not stored") }
                if o.status == 409 {
                    XCTAssertFalse(o.conflicts.isEmpty, "a 409 named no conflict")
                    for c in o.conflicts {
                        XCTAssertTrue(c.from < o.to && o.from < c.to, "a 409 named a non-overlapping allocation")
                        XCTAssertTrue(storedIDs.contains(c.id), "a 409 named an allocation that was never stored")
                    }
                }
            }
        }
    }
}
