import ASCIIText
import HTTPServer

/// Answers for a static file: validators and 304 (RFC 9110 §13), the gzip sibling when the client
/// accepts it, and a single byte range (RFC 9110 §14; several ranges are answered with the whole file).
enum StaticResponse {
    static func make(_ file: StaticSite.File, body fullBody: [UInt8], request: HTTPRequest) -> HTTPResponse {
        let useGzip = file.gzip != nil && acceptsGzip(request.headers["accept-encoding"])
        let etag = useGzip ? String(file.etag.dropLast()) + "-gz\"" : file.etag
        var headers: [(String, String)] = [("ETag", etag), ("Last-Modified", file.lastModified), ("Cache-Control", file.cacheControl)]
        if file.gzip != nil { headers.append(("Vary", "Accept-Encoding")) }

        // RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since.
        if let condition = request.headers["if-none-match"] {
            if !ETag.noneMatch(condition, current: etag) { return notModified(headers) }
        } else if let since = request.headers["if-modified-since"].flatMap(HTTPDate.parse), file.modifiedSeconds <= since {
            return notModified(headers)
        }

        let body = useGzip ? file.gzip! : fullBody
        var response = HTTPResponse(status: 200, contentType: file.contentType, body: body)
        for (name, value) in headers { response.addHeader(name, value) }
        if useGzip { response.addHeader("Content-Encoding", "gzip") }
        response.addHeader("Accept-Ranges", "bytes")
        guard request.method == .get, let rangeHeader = request.headers["range"] else { return response }
        // If-Range: serve the range only if the representation is still the one the client has.
        if let ifRange = request.headers["if-range"], ifRange != etag { return response }
        switch byteRange(rangeHeader, length: body.count) {
        case .whole:
            return response
        case .unsatisfiable:
            return Problem(416, "the range is outside the file", headers: [("Content-Range", "bytes */\(body.count)")])
                .response(requestID: request.requestID, path: request.path)
        case .range(let lower, let upper):
            var partial = HTTPResponse(status: 206, contentType: file.contentType, body: Array(body[lower...upper]))
            for (name, value) in headers { partial.addHeader(name, value) }
            if useGzip { partial.addHeader("Content-Encoding", "gzip") }
            partial.addHeader("Content-Range", "bytes \(lower)-\(upper)/\(body.count)")
            return partial
        }
    }

    private static func notModified(_ headers: [(String, String)]) -> HTTPResponse {
        var response = HTTPResponse(status: 304)
        for (name, value) in headers { response.addHeader(name, value) }
        return response
    }

    /// "gzip" in Accept-Encoding, unless given q=0.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for item in header.lowercased().split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmed }
            guard parts.first == "gzip" || parts.first == "x-gzip" else { continue }
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                if let q = Double(parameter.dropFirst(2)), q <= 0 { return false }  // RFC 9110 §12.4.2: q=0 means "not acceptable"
            }
            return true
        }
        return false
    }

    enum Range: Equatable { case whole, unsatisfiable, range(Int, Int) }

    /// One `bytes=first-last`, `bytes=first-` or `bytes=-suffix` range (RFC 9110 §14.1.2); a list
    /// or anything malformed is the whole file (§14.2 lets a server ignore Range). Positions are
    /// 1*DIGIT, parsed strictly: a sign or a space is malformed, and digits past Int64 mean a
    /// position beyond any file (unsatisfiable as a start, the end of the file as an end).
    static func byteRange(_ header: String, length: Int) -> Range {
        var header = header
        return header.withUTF8 { b in
            let unit: StaticString = "bytes"  // range units are case-insensitive (RFC 9110 §14.1)
            guard b.count > 6, b[5] == UInt8(ascii: "="), (0..<5).allSatisfy({ b[$0] | 0x20 == unit.utf8Start[$0] }) else { return .whole }
            var s = 6, e = b.count
            while s < e, b[s] == 0x20 || b[s] == 0x09 { s += 1 }
            while e > s, b[e - 1] == 0x20 || b[e - 1] == 0x09 { e -= 1 }
            let spec = b[s..<e]
            guard !spec.contains(UInt8(ascii: ",")), let dash = spec.firstIndex(of: UInt8(ascii: "-")) else { return .whole }
            let firstText = spec[spec.startIndex..<dash], lastText = spec[(dash + 1)...]
            if firstText.isEmpty {
                guard let suffix = position(lastText) else { return .whole }
                guard suffix > 0, length > 0 else { return .unsatisfiable }
                return .range(length - min(suffix, length), length - 1)
            }
            guard let first = position(firstText) else { return .whole }
            guard first < length else { return .unsatisfiable }
            if lastText.isEmpty { return .range(first, length - 1) }
            guard let last = position(lastText), last >= first else { return .whole }
            return .range(first, min(last, length - 1))
        }
    }

    /// 1*DIGIT as an Int, saturating at Int.max; nil when not all digits.
    private static func position(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { return nil }
        return ASCIIDecimal.int(digits) ?? Int.max
    }
}
