@testable import HTTPServer

/// Drives a Connection without sockets: feed bytes, read what it would have written.
final class EchoHandler: HTTPHandler, @unchecked Sendable {
    var requests: [HTTPRequest] = []
    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult {
        requests.append(request)
        let text = "\(request.method) \(request.path)?\(request.query ?? "") body=\(request.body.count)"
        return .respond(HTTPResponse(status: 200, contentType: "text/plain", body: Array(text.utf8)))
    }
}

struct Harness {
    let connection: Connection
    let handler = EchoHandler()
    let loop = ManualLoop()

    init(limits: HTTPLimits = HTTPLimits()) {
        connection = Connection(fd: -1, limits: limits, now: loop.now)
    }

    func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { connection.received($0, now: loop.now) }
        _ = connection.process(handler: handler, context: { _ in .detached }, env: loop)
    }

    func feed(_ text: String) { feed(Array(text.utf8)) }

    /// Feeds the bytes in pieces cut at `splits`.
    func feed(_ bytes: [UInt8], splitAt cut: Int) {
        feed(Array(bytes[0..<cut]))
        feed(Array(bytes[cut...]))
    }

    var output: String { String(decoding: connection.output[connection.outputIndex...], as: UTF8.self) }

    /// Status codes of the responses written so far, in order.
    var statuses: [Int] {
        output.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
    }
}

extension String {
    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
