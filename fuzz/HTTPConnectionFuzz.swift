// libFuzzer target: arbitrary bytes into a connection (head scanner, head parser, chunked
// decoder, pipelining), fed whole and then split in two at a point the input chooses.
final class FuzzHandler: HTTPHandler, @unchecked Sendable {
    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult {
        .respond(HTTPResponse(status: 200, body: request.body))
    }
}

final class FuzzLoop: LoopEnvironment {
    var now: UInt64 = 1_000_000_000
    var date: [UInt8] = Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8)
    func nextRequestID() -> String { "fuzz" }
    func log(_ method: HTTPMethod, _ path: String, _ status: Int, _ bytes: Int, _ startNanos: UInt64, _ requestID: String) {}
}

nonisolated(unsafe) let handler = FuzzHandler()
nonisolated(unsafe) let loop = FuzzLoop()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var limits = HTTPLimits()
    limits.maxBodyBytes = 4096
    limits.maxHeaderBytes = 2048
    limits.maxRequestLine = 512
    limits.maxHeaderCount = 20
    let cut = size > 0 ? Int(bytes[0]) % (size + 1) : 0
    let connection = Connection(fd: -1, limits: limits, now: loop.now)
    let raw = UnsafeRawBufferPointer(bytes)
    for range in [0..<cut, cut..<size] {
        connection.received(UnsafeRawBufferPointer(rebasing: raw[range]), now: loop.now)
        connection.process(handler: handler, context: { _ in .detached }, env: loop)
    }
    _ = connection.timedOut(env: loop)
    return 0
}
