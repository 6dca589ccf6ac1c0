import Dispatch
import Glibc
import HTTPServer
import JSON
import TestSupport
import XCTest

@testable import BooksApp

/// Issue 15 §4: the embedded store on a simulated disk, power cut at random moments through
/// concurrent writes, group commits, compaction and snapshot writing. After each cut the store must
/// open without a command, hold every acknowledged write with its last acknowledged value (or the
/// value of the one write in flight), bring back nothing acknowledged as deleted, and never hold
/// two overlapping allocations. Seeded; a failure names its round's seed. Runs for
/// POWER_LOSS_SECONDS (default 45) and prints its figures.
final class PowerLossTests: XCTestCase {
    static let directory = "/data"
    static let writers = 3
    static let keysPerWriter = 6

    /// What each key may hold: the last acknowledged value, and the value of an unacknowledged
    /// write that may or may not have reached the disk. nil means absent.
    final class Expectations: @unchecked Sendable {
        private let lock = NSLockish()
        private var acked: [String: String?] = [:]
        private var inFlight: [String: String?] = [:]
        private(set) var acknowledgedWrites = 0

        func begin(_ key: String, _ value: String?) { lock.with { inFlight[key] = .some(value) } }
        func acknowledge(_ key: String, _ value: String?) {
            lock.with {
                acked[key] = .some(value)
                inFlight[key] = nil
                acknowledgedWrites += 1
            }
        }
        /// After a reopen: whatever the store holds is now the fact.
        func settle(_ key: String, _ value: String?) {
            lock.with {
                acked[key] = .some(value)
                inFlight[key] = nil
            }
        }
        func allowed(_ key: String) -> [String?] {
            lock.with {
                var values: [String?] = [acked[key] ?? nil]
                if let maybe = inFlight[key] { values.append(maybe) }
                return values
            }
        }
        var keys: [String] { lock.with { Array(acked.keys) + Array(inFlight.keys) } }
    }

    func testRandomPowerCutsLoseNothingAcknowledged() throws {
        let seconds = getenv("POWER_LOSS_SECONDS").flatMap { Double(String(cString: $0)) } ?? 45
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        var rounds = 0, cuts = 0, checked = 0, acknowledged = 0
        while monotonicNanos() < deadline {
            let seed = 0x00C0_FFEE &+ UInt64(rounds)
            var rng = SeededGenerator(seed: seed)
            let expectations = Expectations()
            var disk = SimulatedDisk()
            for boot in 0..<4 {
                let store: EmbeddedStore
                do {
                    store = try EmbeddedStore(directory: Self.directory, disk: disk, compactMinBytes: 1024, journalTailBytes: 4096)
                } catch {
                    return XCTFail("round \(rounds) boot \(boot): the store did not open after a power cut: \(error) (seed \(seed))")
                }
                checked += try verify(store, expectations, context: "round \(rounds) boot \(boot) (seed \(seed))")
                if boot == 3 { store.close(); break }
                if boot == 0 {
                    for w in 0..<Self.writers { try? store.createResource(Resource(id: "car-\(w)", name: "Car", kind: ResourceKind.all[0], createdAt: 0)) }
                }
                let stop = Flag()
                let group = DispatchGroup()
                for w in 0..<Self.writers {
                    let writerSeed = rng.next()
                    group.enter()
                    _ = startThread(name: "writer") {
                        var local = SeededGenerator(seed: writerSeed)
                        Self.write(store, writer: w, boot: boot, expectations, &local, until: stop)
                        group.leave()
                    }
                }
                // The power cut: at a chosen disk operation (so it can land between any two steps
                // of a protocol), or at a moment, whichever comes first.
                disk.crash(atOperation: Int.random(in: 1...600, using: &rng), seed: rng.next())
                let until = monotonicNanos() + UInt64.random(in: 1_000_000...60_000_000, using: &rng)
                while disk.imageAfterCrash == nil, monotonicNanos() < until { usleep(200) }
                let image = disk.crash(&rng)
                stop.set()
                group.wait()
                store.close()
                disk = image
                cuts += 1
            }
            acknowledged += expectations.acknowledgedWrites
            rounds += 1
        }
        print("power loss: \(rounds) rounds, \(cuts) power cuts, \(acknowledged) acknowledged writes, \(checked) key checks after reopening, 0 lost")
        XCTAssertGreaterThan(cuts, 0)
    }

    /// Random writes on this writer's own keys (so each key's order is the writer's program
    /// order): inserts, title updates, deletes, bookings and cancellations.
    static func write(_ store: EmbeddedStore, writer w: Int, boot: Int, _ expectations: Expectations, _ rng: inout SeededGenerator, until stop: Flag) {
        var version = 0
        while !stop.isSet {
            let key = "b-\(w)-\(Int.random(in: 0..<keysPerWriter, using: &rng))"
            version += 1
            let title = "\(key) v\(boot).\(version)"
            do {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<4:
                    expectations.begin(key, title)
                    do {
                        try store.insertBook(book(key, title, "Writer \(w)"))
                    } catch .duplicateID {
                        var patch = BookPatch()
                        patch.operations = [.set("title", .string(title))]
                        _ = try store.updateBook(id: key, patch: patch, precondition: nil)
                    }
                    expectations.acknowledge(key, title)
                case 4..<6:
                    expectations.begin(key, nil)
                    _ = try store.deleteBook(id: key)
                    expectations.acknowledge(key, nil)
                default:
                    let slot = Int64.random(in: 0..<20, using: &rng)
                    let allocation = Allocation(
                        id: "a-\(w)-\(boot)-\(version)", interval: Interval(from: slot * 10, to: slot * 10 + Int64.random(in: 5...25, using: &rng)), allocationType: "trip")
                    expectations.begin("alloc " + allocation.id, "booked")
                    if case .created = try store.allocate(ResourceKind.all[0], resourceID: "car-\(w)", allocation, at: 0) {
                        expectations.acknowledge("alloc " + allocation.id, "booked")
                    } else {
                        expectations.acknowledge("alloc " + allocation.id, nil)
                    }
                }
            } catch {
                return  // the disk is gone: this write stays in flight
            }
        }
    }

    /// Every key holds an allowed value; allocations never overlap. Returns the keys checked.
    func verify(_ store: EmbeddedStore, _ expectations: Expectations, context: String) throws -> Int {
        let car = ResourceKind.all[0]
        var bookings: Set<String> = []
        for w in 0..<Self.writers {
            guard let resource = try store.resource(car, id: "car-\(w)") else { continue }
            for (a, b) in zip(resource.allocations, resource.allocations.dropFirst()) where a.interval.overlaps(b.interval) {
                XCTFail("\(context): allocations \(a.id) and \(b.id) overlap")
            }
            bookings.formUnion(resource.allocations.map(\.id))
        }
        var checked = 0
        for key in Set(expectations.keys) {
            let actual: String?
            if key.hasPrefix("alloc ") {
                actual = bookings.contains(String(key.dropFirst(6))) ? "booked" : nil
            } else {
                actual = try store.book(id: key).flatMap { try? JSONParser.parse($0) }?.objectValue?["title"]?.stringValue
            }
            let allowed = expectations.allowed(key)
            XCTAssertTrue(allowed.contains(actual), "\(context): \(key) holds \(String(describing: actual)), allowed \(allowed)")
            expectations.settle(key, actual)
            checked += 1
        }
        return checked
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLockish()
        private var value = false
        func set() { lock.with { value = true } }
        var isSet: Bool { lock.with { value } }
    }
}
