/// A loop environment whose clock moves only when told, for driving connections without sockets
/// or a real clock: the one fake loop of the tests and the fuzzers (both reach it through
/// `@testable import HTTPServer`).
final class ManualLoop: LoopEnvironment {
    var now: UInt64 = 1_000_000_000
    var date: [UInt8] = Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8)
    private var counter = 0
    func nextRequestID() -> String { counter += 1; return "r\(counter)" }
    func log(_ method: HTTPMethod, _ path: String, _ status: Int, _ bytes: Int, _ startNanos: UInt64, _ requestID: String, route: Int) {}
}
