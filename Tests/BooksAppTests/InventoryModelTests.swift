import JSON
import TestSupport
import XCTest

@testable import BooksApp

final class InventoryModelTests: XCTestCase {
    private func t(_ s: String) -> Int64 { Timestamp.parse(s)! }

    func testTimestamps() {
        XCTAssertEqual(Timestamp.parse("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(Timestamp.parse("2026-01-01T10:00:00+02:00"), Timestamp.parse("2026-01-01T08:00:00Z"))
        XCTAssertEqual(Timestamp.parse("2026-01-01t08:00:00.5z"), Timestamp.parse("2026-01-01T08:00:00Z")! + 500)
        XCTAssertEqual(Timestamp.parse("2024-02-29T00:00:00-00:30"), Timestamp.parse("2024-02-29T00:30:00Z"))
        XCTAssertEqual(Timestamp.parse("2026-01-01T00:00:00", offsetOptional: true), Timestamp.parse("2026-01-01T00:00:00Z"))
        for bad in [
            "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-1-01T00:00:00Z",
            "2026-01-01T00:00:00+0200", "2026-01-01T00:00:00Z ", "2026-01-01", "", "2026-01-01T00:00:00.Z", "yesterday",
        ] {
            XCTAssertNil(Timestamp.parse(bad), bad)
        }
        XCTAssertEqual(Timestamp.format(t("2026-01-01T08:00:00Z")), "2026-01-01T08:00:00Z")
        XCTAssertEqual(Timestamp.format(t("1969-12-31T23:59:59.250Z")), "1969-12-31T23:59:59.250Z")
        XCTAssertEqual(Timestamp.format(Timestamp.earliest), "0001-01-01T00:00:00Z")
    }

    /// Allen's thirteen interval relations between an existing X = [10:00, 12:00) and a new Y, plus
    /// open ends. Overlap is half-open: Y that only touches X (meets, met-by) does not overlap.
    static let overlapTable: [(String, String?, String?, Bool)] = [
        ("before", "08:00", "09:00", false), ("meets", "09:00", "10:00", false), ("overlaps", "09:00", "11:00", true),
        ("starts", "10:00", "11:00", true), ("during", "10:30", "11:30", true), ("finishes", "11:00", "12:00", true),
        ("equals", "10:00", "12:00", true), ("finished-by", "09:00", "12:00", true), ("contains", "09:00", "13:00", true),
        ("started-by", "10:00", "13:00", true), ("overlapped-by", "11:00", "13:00", true), ("met-by", "12:00", "13:00", false),
        ("after", "13:00", "14:00", false),
        ("open start, ends before", nil, "10:00", false), ("open start, ends inside", nil, "10:01", true),
        ("open end, starts after", "12:00", nil, false), ("open end, starts inside", "11:59", nil, true), ("open both", nil, nil, true),
    ]

    func testAllenRelationsAndOpenEnds() {
        let x = Interval(from: t("2026-05-01T10:00:00Z"), to: t("2026-05-01T12:00:00Z"))
        for (name, from, to, overlaps) in Self.overlapTable {
            let y = Interval(from: from.map { t("2026-05-01T\($0):00Z") } ?? Timestamp.openStart, to: to.map { t("2026-05-01T\($0):00Z") } ?? Timestamp.openEnd)
            XCTAssertEqual(y.overlaps(x), overlaps, name)
            XCTAssertEqual(x.overlaps(y), overlaps, "\(name), mirrored")
        }
        XCTAssertFalse(Interval(from: t("2026-05-01T11:00:00Z"), to: t("2026-05-01T11:00:00Z")).overlaps(x), "an empty interval overlaps nothing")
        let openX = Interval(from: t("2026-05-01T10:00:00Z"), to: Timestamp.openEnd)
        XCTAssertTrue(Interval(from: t("2030-01-01T00:00:00Z"), to: t("2030-01-02T00:00:00Z")).overlaps(openX))
        XCTAssertFalse(Interval(from: Timestamp.openStart, to: t("2026-05-01T10:00:00Z")).overlaps(openX))
    }

    private let parser = AllocationParser(maxDataBytes: 16384)
    private func parse(_ json: String) -> Result<Allocation, ValidationErrors> { parser.parse(try! JSONParser.parse(Array(json.utf8)), id: "a1") }
    private func fields(_ json: String) -> [String] { if case .failure(let e) = parse(json) { return e.list.map(\.field) } else { return [] } }

    func testAllocationBodies() throws {
        let native = try parse(#"{"from":"2026-01-01T10:00:00+02:00","to":null,"allocation_type":"hire","description":"d","data":{"k":1}}"#).get()
        XCTAssertEqual(native.interval, Interval(from: t("2026-01-01T08:00:00Z"), to: Timestamp.openEnd))
        XCTAssertEqual(native.data, JSONObject([JSONField("k", .int(1))]))
        let guide = try parse(#"{"from_infinity":true,"to_datetime":"2026-01-01T00:00:00","allocation_type":"g","dump":{"x":[1]}}"#).get()
        XCTAssertEqual(guide.interval, Interval(from: Timestamp.openStart, to: t("2026-01-01T00:00:00Z")))
        XCTAssertEqual(guide.json(resourceID: "r")["data"], .object(JSONObject([JSONField("x", .array([.int(1)]))])))
        let cases: [(String, [String])] = [
            (#"{"from":"2026-01-02T00:00:00Z","to":"2026-01-01T00:00:00Z","allocation_type":"x"}"#, ["from"]),  // reversed
            (#"{"from":"2026-01-01T00:00:00Z","to":"2026-01-01T00:00:00Z","allocation_type":"x"}"#, ["from"]),  // zero length
            (#"{"from":"2026-01-01T00:00:00Z","allocation_type":"x"}"#, ["to"]),
            (#"{"from":"soon","to":null,"allocation_type":"x"}"#, ["from"]),
            (#"{"from":"2026-01-01T00:00:00","to":null,"allocation_type":"x"}"#, ["from"]),  // native needs an offset
            (#"{"from":1,"to":null,"allocation_type":"x"}"#, ["from"]),
            (#"{"from":null,"to":null}"#, ["allocation_type"]),
            (#"{"from":null,"to":null,"allocation_type":{"$gt":""}}"#, ["allocation_type"]),
            (#"{"from":null,"to":null,"allocation_type":"x","data":[1]}"#, ["data"]),
            (#"{"from":null,"to":null,"allocation_type":"x","data":{"$where":1}}"#, ["data.$where"]),
            (#"{"from":null,"to":null,"allocation_type":"x","extra":1}"#, ["extra"]),
            (#"{"from":null,"to_datetime":"2026-01-01T00:00:00","allocation_type":"x"}"#, ["from", "from_datetime"]),
            (#"{"from_infinity":true,"from_datetime":"2026-01-01T00:00:00","to_infinity":true,"allocation_type":"x"}"#, ["from_datetime"]),
            (#"{"to_infinity":"yes","from_infinity":true,"allocation_type":"x"}"#, ["to_infinity"]),
            (#"{"from":"0000-12-31T00:00:00Z","to":null,"allocation_type":"x"}"#, ["from"]),
        ]
        for (json, expected) in cases { XCTAssertEqual(fields(json), expected, json) }
    }

    /// The O(log n) overlap search gives what a scan of every allocation gives.
    func testConflictSearchMatchesAScan() {
        var rng = SeededGenerator(seed: 0x0E1A)
        for _ in 0..<50 {
            var allocations: [Allocation] = []
            var t: Int64 = Int64.random(in: 0...20, using: &rng)
            for i in 0..<Int.random(in: 0...60, using: &rng) {  // sorted, never overlapping, some back to back
                let length = Int64.random(in: 1...10, using: &rng)
                allocations.append(Allocation(id: String(i), interval: Interval(from: t, to: t + length), allocationType: "x"))
                t += length + Int64.random(in: 0...5, using: &rng)
            }
            let resource = Resource(id: "r", name: "R", kind: ResourceKind.all[0], createdAt: 0, allocations: allocations)
            for _ in 0..<40 {
                let from = Int64.random(in: -5...(t + 5), using: &rng)
                let window = Interval(from: from, to: from + Int64.random(in: 0...30, using: &rng))
                let scan = allocations.filter { $0.interval.overlaps(window) }
                XCTAssertEqual(resource.conflicts(with: window, at: 0).map(\.id), scan.map(\.id), "\(window) (seed \(rng.seed))")
                XCTAssertEqual(resource.isFree(during: window, at: 0), scan.isEmpty, "\(window) (seed \(rng.seed))")
            }
        }
    }

    /// With holds (some expired), buffers after each booking and one allocation left out (a move),
    /// the search over sorted intervals still gives what a scan gives, and what blocks is decided
    /// by status and expiry alone.
    func testConflictSearchWithHoldsAndBuffersMatchesAScan() {
        var rng = SeededGenerator(seed: 0x17_17)
        let now: Int64 = 500
        for _ in 0..<60 {
            var resource = Resource(id: "r", name: "R", kind: ResourceKind.all[0], createdAt: 0, turnaroundMinutes: 0)
            var t = Int64.random(in: 0...20, using: &rng)
            for i in 0..<Int.random(in: 0...50, using: &rng) {
                let length = Int64.random(in: 1...10, using: &rng), buffer = Int64.random(in: 0...4, using: &rng)
                var a = Allocation(id: String(i), interval: Interval(from: t, to: t + length), allocationType: "x", blockedUntil: t + length + buffer)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: a.status = .tentative; a.expiresAt = Int64.random(in: 0...1000, using: &rng)  // about half expired
                case 1: a.status = .cancelled
                default: break
                }
                resource.put(a)
                t += length + buffer + Int64.random(in: 0...5, using: &rng)
            }
            let every = resource.allocations + resource.cancelled
            for _ in 0..<40 {
                let from = Int64.random(in: -5...(t + 5), using: &rng)
                let window = Interval(from: from, to: from + Int64.random(in: 0...30, using: &rng))
                let except = every.randomElement(using: &rng)?.id
                let scan = every.filter { $0.id != except && $0.blocks(at: now) && $0.blocked.overlaps(window) }.sorted { $0.interval.from < $1.interval.from }
                XCTAssertEqual(resource.conflicts(with: window, at: now, except: except).map(\.id), scan.map(\.id), "\(window) (seed \(rng.seed))")
                let busy = every.filter { $0.blocks(at: now) && $0.interval.overlaps(window) }.sorted { $0.interval.from < $1.interval.from }
                XCTAssertEqual(resource.busy(in: window, at: now).map(\.id), busy.map(\.id), "\(window) (seed \(rng.seed))")
                let held = every.filter { $0.status == .tentative && !$0.blocks(at: now) && $0.blocked.overlaps(window) }.sorted { $0.interval.from < $1.interval.from }
                XCTAssertEqual(resource.expiredHolds(overlapping: window, at: now).map(\.id), held.map(\.id))
            }
        }
    }

    /// The lifecycle a PATCH may take, and what it refuses (422: the body; 409: the state).
    func testPatchLifecycleRules() throws {
        let now: Int64 = 1_000_000
        let hold = Allocation(
            id: "h", interval: Interval(from: 0, to: 10), allocationType: "x", status: .tentative, expiresAt: now + 60_000, createdAt: now - 5, updatedAt: now - 5)
        func apply(_ body: String, to a: Allocation = hold, at time: Int64 = now) -> Result<Allocation, AllocationParser.PatchRefusal> {
            parser.patch(try! JSONParser.parse(Array(body.utf8)), a, now: time)
        }
        let confirmed = try apply(#"{"status":"confirmed"}"#).get()
        XCTAssertEqual(confirmed.status, .confirmed)
        XCTAssertNil(confirmed.expiresAt)
        XCTAssertEqual(confirmed.updatedAt, now)
        XCTAssertEqual(try apply(#"{"status":"confirmed"}"#, at: now - 10).get().updatedAt, now - 4, "updated_at always moves forward")
        let extended = try apply(#"{"expires_at":"1970-01-01T00:17:00Z"}"#).get()
        XCTAssertEqual(extended.expiresAt, 1_020_000)
        if case .failure(.invalid(let e)) = apply(#"{"expires_at":"1970-01-01T01:17:00Z"}"#) { XCTAssertEqual(e.map(\.field), ["expires_at"]) } else { XCTFail("past HOLD_TTL") }
        if case .failure(.state(let why)) = apply(#"{"status":"confirmed"}"#, at: now + 60_000) { XCTAssertTrue(why.contains("hold expired")) } else { XCTFail("expired") }
        if case .failure(.state) = apply(#"{"status":"tentative"}"#, to: confirmed) {} else { XCTFail("confirmed cannot become a hold") }
        let cancelled = try apply(#"{"status":"cancelled","cancel_reason":"no"}"#, to: confirmed).get()
        XCTAssertEqual(cancelled.cancelReason, "no")
        if case .failure(.state) = apply(#"{"description":"x"}"#, to: cancelled) {} else { XCTFail("cancelled is final") }
        if case .failure(.invalid(let e)) = apply(#"{"from":null,"to":null,"status":"x","extra":1}"#) {
            XCTAssertEqual(Set(e.map(\.field)), ["extra", "status"])
        } else {
            XCTFail()
        }
        XCTAssertEqual(try apply(#"{"from":null}"#).get().interval.from, Timestamp.openStart, "null opens an end")
    }
}
