/// A response to be encoded. Header lines are kept as bytes, so adding one costs an append, not a dictionary.
/// The server adds Date, Server, Content-Length and Connection itself.
public struct HTTPResponse: Sendable {
    public var status: Int
    public private(set) var headerBytes: [UInt8] = []
    public var body: [UInt8]
    /// Ask the server to close the connection after this response.
    public var closeConnection = false
    /// The application's index of the route that answered, handed to the ResponseRecorder so it
    /// need not work it out from the path again; -1 when the application gave none.
    public var routeIndex = -1

    public init(status: Int, body: [UInt8] = []) {
        self.status = status
        self.body = body
        headerBytes.reserveCapacity(128)
    }

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.init(status: status, body: body)
        addHeader("Content-Type", contentType)
    }

    /// Appends a header line. Values come from the application, so CR, LF and NUL are dropped:
    /// a value must never be able to start a new header line (response splitting).
    public mutating func addHeader(_ name: String, _ value: String) {
        var value = value
        value.withUTF8 { addHeader(name, bytes: $0) }
    }

    /// The same, for a value already built as bytes (no String round trip on hot paths).
    public mutating func addHeader(_ name: String, bytes value: UnsafeBufferPointer<UInt8>) {
        headerBytes.append(contentsOf: name.utf8)
        headerBytes.append(UInt8(ascii: ":"))
        headerBytes.append(UInt8(ascii: " "))
        if value.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
            for byte in value where byte != 0x0D && byte != 0x0A && byte != 0 { headerBytes.append(byte) }
        } else {
            headerBytes.append(contentsOf: value)
        }
        headerBytes.append(0x0D)
        headerBytes.append(0x0A)
    }

    /// Adds `token` to the Vary header, creating it or extending the one already set, so that a
    /// response carries a single Vary line (RFC 9110 §12.5.5).
    public mutating func addVary(_ token: String) {
        var start = 0
        while start < headerBytes.count {
            var end = start
            while end + 1 < headerBytes.count, !(headerBytes[end] == 0x0D && headerBytes[end + 1] == 0x0A) { end += 1 }
            if end - start > 5, headerBytes[start..<start + 5].map({ $0 | 0x20 }) == Array("vary:".utf8) {
                headerBytes.insert(contentsOf: Array((", " + token).utf8), at: end)
                return
            }
            start = end + 2
        }
        addHeader("Vary", token)
    }

    /// The value of a header the application set (linear scan; for tests and middleware).
    public func header(_ name: String) -> String? {
        let text = String(decoding: headerBytes, as: UTF8.self)
        let prefix = name.lowercased() + ": "
        for line in text.split(separator: "\r\n") where line.lowercased().hasPrefix(prefix) {
            return String(line.dropFirst(prefix.count))
        }
        return nil
    }
}

extension HTTPResponse {
    /// The HTTP layer's own problem+json (RFC 9457), for errors before any application sees the
    /// request. The reasons are the server's own fixed ASCII, never client text, so they need no
    /// JSON escaping.
    public static func problem(_ error: HTTPParseError) -> HTTPResponse {
        let body = "{\"type\":\"about:blank\",\"title\":\"\(HTTPStatus.reason(error.status))\",\"status\":\(error.status),\"detail\":\"\(error.reason)\"}"
        var response = HTTPResponse(status: error.status, contentType: "application/problem+json", body: Array(body.utf8))
        if let seconds = error.retryAfter { response.addHeader("Retry-After", String(seconds)) }
        return response
    }
}
