import FuzzSupport
import JSON

@testable import BooksApp

// libFuzzer target: bytes → JSON → the allocation body parser, in both body formats. Whatever it
// accepts must be a non-empty interval whose JSON view parses back to the same allocation.
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let body = try? JSONParser.parse(bytes, maxDepth: 32) else { return 0 }
    let parser = AllocationParser(maxDataBytes: 16384)
    let now: Int64 = 1_800_000_000_000  // one instant for both parses, so a hold's expiry decides the same way
    guard case .success(let allocation) = parser.parse(body, id: "a", now: now) else { return 0 }
    precondition(allocation.interval.from < allocation.interval.to, "an empty or reversed interval was accepted")
    precondition(allocation.status != .cancelled, "a booking was accepted as cancelled")
    var view = allocation.json(resourceID: "r")
    for assigned in ["id", "resource_id", "created_at", "updated_at"] { view[assigned] = nil }  // the server's, not the body's
    guard case .success(let again) = parser.parse(.object(view), id: "a", now: now) else { preconditionFailure("the API's own view does not parse: \(view)") }
    precondition(again.interval == allocation.interval, "the interval changed on a round trip: \(allocation.interval) vs \(again.interval)")
    precondition(again.status == allocation.status && again.expiresAt == allocation.expiresAt, "the lifecycle changed on a round trip")
    return 0
}

runLibFuzzer(fuzz)
