import FuzzSupport
import JSON

// libFuzzer target: arbitrary bytes into the JSON parser; what parses must survive a round trip.
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONParser.parse(bytes, maxDepth: 32) else { return 0 }
    let again = try! JSONParser.parse(JSONWriter.encode(value), maxDepth: 32)
    precondition(again == value || "\(again)" == "\(value)", "round trip changed the value")
    return 0
}

runLibFuzzer(fuzz)
