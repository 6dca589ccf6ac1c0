import ASCIIText

/// Writes a response's status line and headers into the connection's output buffer.
enum ResponseEncoder {
    static let serverName = "BooksAPI"

    static func encode(_ response: HTTPResponse, date: [UInt8], headOnly: Bool, keepAlive: Bool, into out: inout [UInt8]) {
        append("HTTP/1.1 ", to: &out)
        let status = response.status
        out.append(UInt8(48 + status / 100))
        out.append(UInt8(48 + status / 10 % 10))
        out.append(UInt8(48 + status % 10))
        out.append(0x20)
        let reason = HTTPStatus.reason(status)
        out.append(contentsOf: UnsafeBufferPointer(start: reason.utf8Start, count: reason.utf8CodeUnitCount))
        append("\r\nServer: BooksAPI\r\nDate: ", to: &out)
        out.append(contentsOf: date)
        append("\r\n", to: &out)
        out.append(contentsOf: response.headerBytes)
        // RFC 9110 §8.6: no Content-Length in 1xx or 204; 304 would describe the selected representation, so omit it.
        if status >= 200, status != 204, status != 304 {
            append("Content-Length: ", to: &out)
            ASCIIDecimal.append(response.body.count, to: &out)
            append("\r\n", to: &out)
        }
        append(keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n", to: &out)
        if !headOnly, status != 204, status != 304 {
            out.append(contentsOf: response.body)
        }
    }

    @inline(__always) static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
