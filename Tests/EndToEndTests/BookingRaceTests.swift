import Dispatch
import Foundation
import JSON
import TestSupport
import XCTest

/// Issue 17's race: workers book (some as holds that expire mid-race), resize, move in time,
/// move to another car, confirm holds and book "any free car", all at once, on whichever store
/// `StoreUnderTest` selects, and across two API processes on one MongoDB. Afterwards: no two
/// blocking allocations overlap; every allocation a 2xx named is stored exactly once, as the
/// latest answer about it (by updated_at, which every change moves forward) said; every 409 named
/// allocations that exist and overlap.
final class BookingRaceTests: XCTestCase {
    func testTheMixedRaceOnOneServer() throws {
        let store = try StoreUnderTest()
        defer { _ = store.stop() }
        try Self.race(ports: [store.server.port], seed: 0x17)
    }

    func testTheMixedRaceAcrossTwoProcessesOnOneMongoDB() throws {
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let first = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        let second = try ServerProcess(environment: ["MONGODB_URL": mongo.url])
        defer {
            first.stop()
            second.stop()
        }
        try Self.race(ports: [first.port, second.port], seed: 0x18)
    }

    private static let json = [("Content-Type", "application/json")]
    private static func hour(_ h: Int) -> String { String(format: "2032-01-%02dT%02d:00:00Z", 1 + h / 24, h % 24) }

    /// What the race saw: every 2xx answer's allocation, every 409's conflicts, and the ids made.
    private final class Ledger: @unchecked Sendable {  // guarded by `lock`
        private let lock = NSLock()
        private(set) var answers: [JSONObject] = []
        /// The interval asked for, when the request named one (a move to another car keeps its own).
        private(set) var refusals: [(interval: (from: String, to: String)?, conflicts: [JSONObject])] = []
        private(set) var failures: [String] = []
        private(set) var known: [(id: String, car: String)] = []
        func answered(_ a: JSONObject) {
            lock.lock()
            defer { lock.unlock() }
            answers.append(a)
            if let id = a["id"]?.stringValue, let car = a["resource_id"]?.stringValue { known.append((id, car)) }
        }
        func refused(_ interval: (from: String, to: String)?, _ conflicts: [JSONObject]) { lock.lock(); refusals.append((interval, conflicts)); lock.unlock() }
        func fail(_ f: String) { lock.lock(); failures.append(f); lock.unlock() }
        func pick(_ g: inout SeededGenerator) -> (id: String, car: String)? {
            lock.lock()
            defer { lock.unlock() }
            return known.isEmpty ? nil : known[Int.random(in: 0..<known.count, using: &g)]
        }
    }

    /// Milliseconds of an RFC 3339 answer (with or without fractional seconds).
    private static func millis(_ value: JSONValue?) -> Double {
        guard let text = value?.stringValue else { return 0 }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = f.date(from: text) ?? ISO8601DateFormatter().date(from: text)
        return (date?.timeIntervalSince1970 ?? 0) * 1000
    }

    private static func race(ports: [Int], seed: UInt64) throws {
        let cars = try (0..<4).map { i -> String in
            let r = try RawHTTPClient(port: ports[0]).request("POST", "/cars", headers: json, body: #"{"name":"Racer \#(i)"}"#)
            return String(try XCTUnwrap(r.header("Location")).dropFirst("/cars/".count))
        }
        let ledger = Ledger()
        let workers = 8, steps = 40
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var g = SeededGenerator(seed: seed &* 1000 &+ UInt64(worker))
            do {
                let client = try RawHTTPClient(port: ports[worker % ports.count], timeoutSeconds: 30)
                for _ in 0..<steps {
                    let from = Int.random(in: 0..<36, using: &g), to = from + Int.random(in: 1...4, using: &g)
                    let interval = #""from":"\#(hour(from))","to":"\#(hour(to))""#
                    var method = "POST", path = "/cars/\(cars.randomElement(using: &g)!)/allocations"
                    var body = #"{\#(interval),"allocation_type":"race"}"#
                    switch Int.random(in: 0..<10, using: &g) {
                    case 0, 1:  // a hold that may expire mid-race
                        let f = ISO8601DateFormatter()
                        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                        let expiry = f.string(from: Date().addingTimeInterval(Double.random(in: 0.5...3, using: &g)))
                        body = #"{\#(interval),"allocation_type":"race","status":"tentative","expires_at":"\#(expiry)"}"#
                    case 2: path = "/cars/allocations"  // any free car
                    case 3, 4, 5, 6:
                        guard let (id, car) = ledger.pick(&g) else { continue }
                        method = "PATCH"
                        path = "/cars/\(car)/allocations/\(id)"
                        switch Int.random(in: 0..<4, using: &g) {
                        case 0: body = #"{"resource_id":"\#(cars.randomElement(using: &g)!)"}"#  // to another car
                        case 1: body = #"{"status":"confirmed"}"#
                        default: body = "{\(interval)}"  // move in time, or resize
                        }
                    default: break
                    }
                    // A 503 (busy, or a move of it under way) says to retry: a client does, after a moment.
                    var r = try client.request(method, path, headers: json, body: body)
                    for _ in 0..<5 where r.status == 503 {
                        Thread.sleep(forTimeInterval: 0.05)
                        r = try client.request(method, path, headers: json, body: body)
                    }
                    let answer = try? JSONParser.parse(r.body).objectValue
                    switch r.status {
                    case 200, 201: ledger.answered(try XCTUnwrap(answer))
                    case 409:
                        let conflicts = answer?["conflicts"]?.arrayValue?.compactMap(\.objectValue) ?? []
                        if !conflicts.isEmpty { ledger.refused(body.contains(#""from""#) ? (hour(from), hour(to)) : nil, conflicts) }
                    case 404 where method == "PATCH": break  // moved by another worker meanwhile
                    default: ledger.fail("\(method) \(path) \(body): \(r.status) \(r.text)")
                    }
                }
            } catch {
                ledger.fail("\(error)")
            }
        }
        XCTAssertEqual(ledger.failures, [], "seed \(seed)")
        XCTAssertGreaterThan(ledger.refusals.count, 0, "the race should produce conflicts")
        // The stored state, every status; holds expiring while it is read may read either way.
        let readStarted = Date().timeIntervalSince1970 * 1000
        let client = try RawHTTPClient(port: ports.last!)
        var stored: [String: JSONObject] = [:]
        for car in cars {
            let list = try XCTUnwrap(JSONParser.parse(try client.request("GET", "/cars/\(car)/allocations?status=confirmed,tentative,cancelled").body).arrayValue)
            var blocking: [(String, String, String)] = []
            for case .object(let a) in list {
                let id = try XCTUnwrap(a["id"]?.stringValue)
                XCTAssertNil(stored[id], "allocation \(id) is stored twice (seed \(seed))")
                stored[id] = a
                if a["status"]?.stringValue != "cancelled" { blocking.append((id, a["from"]!.stringValue!, a["to"]!.stringValue!)) }
            }
            blocking.sort { $0.1 < $1.1 }
            for (x, y) in zip(blocking, blocking.dropFirst()) { XCTAssertLessThanOrEqual(x.2, y.1, "\(x) and \(y) overlap on \(car) (seed \(seed))") }
        }
        // Each allocation is as the latest answer about it said (expired holds read as cancelled).
        var latest: [String: JSONObject] = [:]
        for a in ledger.answers {
            let id = a["id"]!.stringValue!
            if let seen = latest[id], millis(seen["updated_at"]) >= millis(a["updated_at"]) { continue }
            latest[id] = a
        }
        let readEnded = Date().timeIntervalSince1970 * 1000
        for (id, answer) in latest {
            guard let s = stored[id] else {
                XCTFail("allocation \(id) was answered 2xx and is lost (seed \(seed))")
                continue
            }
            for field in ["resource_id", "from", "to"] { XCTAssertEqual(s[field], answer[field], "\(id) \(field) (seed \(seed))") }
            let hold = answer["status"] == .string("tentative"), expiry = millis(answer["expires_at"])
            let expired = hold && expiry < readStarted
            if hold, (readStarted...readEnded).contains(expiry) {
                XCTAssertTrue(["tentative", "cancelled"].contains(s["status"]?.stringValue ?? ""), "\(id) status (seed \(seed))")
            } else {
                XCTAssertEqual(s["status"], expired ? .string("cancelled") : answer["status"], "\(id) status (seed \(seed))")
            }
            // An expired hold that a later booking filed as cancelled was stamped then.
            if !hold || expiry > readEnded { XCTAssertEqual(s["updated_at"], answer["updated_at"], "\(id) updated_at (seed \(seed))") }
        }
        XCTAssertEqual(Set(stored.keys), Set(latest.keys), "nothing stored that no answer named (seed \(seed))")
        for refusal in ledger.refusals {
            for c in refusal.conflicts {
                let id = c["id"]?.stringValue ?? "?"
                XCTAssertNotNil(latest[id], "a 409 named \(id), which no answer made (seed \(seed))")
                guard let asked = refusal.interval else { continue }
                let f = c["from"]?.stringValue ?? "", t = c["to"]?.stringValue ?? ""
                XCTAssertTrue(f < asked.to && asked.from < t, "a 409 named \(id) [\(f), \(t)), which does not overlap [\(asked.from), \(asked.to)) (seed \(seed))")
            }
        }
    }
}
