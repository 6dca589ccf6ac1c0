// libFuzzer target: arbitrary bytes into a connection (head scanner, head parser, chunked
// decoder, pipelining), fed whole and then split in two at a point the input chooses.
final class FuzzHandler: HTTPHandler, @unchecked Sendable {
    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult {
        .respond(HTTPResponse(status: 200, body: request.body))
    }
}

nonisolated(unsafe) let handler = FuzzHandler()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var limits = HTTPLimits()
    limits.maxBodyBytes = 4096
    limits.maxHeaderBytes = 2048
    limits.maxRequestLine = 512
    limits.maxHeaderCount = 20
    feedConnection(data, size, limits: limits, handler: handler)
    return 0
}
