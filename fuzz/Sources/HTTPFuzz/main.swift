import FuzzSupport

@testable import HTTPServer

// libFuzzer target: arbitrary bytes into a connection (head scanner, head parser, chunked
// decoder, pipelining), fed whole and then split in two at a point the input chooses.
final class FuzzHandler: HTTPHandler, @unchecked Sendable {
    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult {
        .respond(HTTPResponse(status: 200, body: request.body))
    }
}

nonisolated(unsafe) let handler = FuzzHandler()

let limits = fuzzLimits(body: 4096, headerBytes: 2048, requestLine: 512, headerCount: 20)

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    feedConnection(data, size, limits: limits, handler: handler)
    return 0
}

runLibFuzzer(fuzz)
