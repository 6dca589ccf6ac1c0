import FuzzSupport
import JSON

@testable import BooksApp

// libFuzzer target: bytes → JSON → the allocation body parser, in both body formats. Whatever it
// accepts must be a non-empty interval whose JSON view parses back to the same allocation.
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let body = try? JSONParser.parse(bytes, maxDepth: 32) else { return 0 }
    let parser = AllocationParser(maxDataBytes: 16384)
    guard case .success(let allocation) = parser.parse(body, id: "a") else { return 0 }
    precondition(allocation.interval.from < allocation.interval.to, "an empty or reversed interval was accepted")
    var view = allocation.json
    view["id"] = nil
    guard case .success(let again) = parser.parse(.object(view), id: "a") else { preconditionFailure("the API's own view does not parse: \(view)") }
    precondition(again.interval == allocation.interval, "the interval changed on a round trip: \(allocation.interval) vs \(again.interval)")
    return 0
}

runLibFuzzer(fuzz)
