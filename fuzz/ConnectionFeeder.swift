// Shared by the http and app targets: a fake loop, and feeding one input to a fresh connection,
// whole and then split in two at a point the input's first byte chooses.
final class FuzzLoop: LoopEnvironment {
    var now: UInt64 = 1_000_000_000
    var date: [UInt8] = Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8)
    func nextRequestID() -> String { "fuzz" }
    func log(_ method: HTTPMethod, _ path: String, _ status: Int, _ bytes: Int, _ startNanos: UInt64, _ requestID: String, route: Int) {}
}

nonisolated(unsafe) let loop = FuzzLoop()

/// Small limits, so the fuzzer reaches every limit with short inputs.
func fuzzLimits(body: Int, headerBytes: Int, requestLine: Int, headerCount: Int) -> HTTPLimits {
    var limits = HTTPLimits()
    limits.maxBodyBytes = body
    limits.maxHeaderBytes = headerBytes
    limits.maxRequestLine = requestLine
    limits.maxHeaderCount = headerCount
    return limits
}

/// Feeds `size` bytes to a new connection in two pieces; deferred answers are dropped.
func feedConnection(_ data: UnsafePointer<UInt8>, _ size: Int, limits: HTTPLimits, handler: HTTPHandler) {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let cut = size > 0 ? Int(bytes[0]) % (size + 1) : 0
    let connection = Connection(fd: -1, limits: limits, now: loop.now)
    let raw = UnsafeRawBufferPointer(bytes)
    for range in [0..<cut, cut..<size] {
        connection.received(UnsafeRawBufferPointer(rebasing: raw[range]), now: loop.now)
        _ = connection.process(handler: handler, context: { _ in .detached }, env: loop)
    }
    _ = connection.timedOut(now: .max, handler: handler, env: loop)
}
