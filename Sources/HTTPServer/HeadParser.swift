import ASCIIText

/// How the body of a request is delimited (RFC 9112 §6.3).
enum BodyFraming: Equatable {
    case none
    case length(Int)
    case chunked
}

/// A parsed request head: everything but the body.
struct RequestHead {
    var method: HTTPMethod
    var path: String
    var query: String?
    var version: HTTPVersion
    var headers: HTTPHeaders
    var framing: BodyFraming
    var keepAlive: Bool
    var expectContinue: Bool
}

/// Parses a complete request head strictly to RFC 9112. Anything ambiguous is refused:
/// a lenient parser in front of (or behind) another one is how requests get smuggled.
enum HeadParser {
    static func parse(_ head: UnsafeBufferPointer<UInt8>, limits: HTTPLimits) -> Result<RequestHead, HTTPParseError> {
        var p = 0
        let n = head.count
        func fail(_ reason: String, _ status: Int = 400) -> Result<RequestHead, HTTPParseError> { .failure(.init(status, reason)) }

        // request-line = method SP request-target SP HTTP-version CRLF  (RFC 9112 §3)
        let methodStart = p
        while p < n, isTokenChar(head[p]) { p += 1 }
        guard p > methodStart, p < n, head[p] == 0x20 else { return fail("malformed request line") }
        let method = HTTPMethod(token: UnsafeBufferPointer(rebasing: head[methodStart..<p]))
        p += 1
        let targetStart = p
        while p < n, head[p] > 0x20, head[p] < 0x7F { p += 1 }
        guard p > targetStart, p < n, head[p] == 0x20 else { return fail("malformed request target") }
        let targetEnd = p
        p += 1
        guard n - p >= 10,
            head[p] == UInt8(ascii: "H"), head[p + 1] == UInt8(ascii: "T"), head[p + 2] == UInt8(ascii: "T"),
            head[p + 3] == UInt8(ascii: "P"), head[p + 4] == UInt8(ascii: "/"),
            isDigit(head[p + 5]), head[p + 6] == UInt8(ascii: "."), isDigit(head[p + 7]),
            head[p + 8] == 0x0D, head[p + 9] == 0x0A
        else { return fail("malformed HTTP version") }
        guard head[p + 5] == UInt8(ascii: "1") else { return fail("only HTTP/1.x is supported", 505) }
        let version: HTTPVersion = head[p + 7] == UInt8(ascii: "0") ? .http10 : .http11
        p += 10

        guard let (path, query) = splitTarget(UnsafeBufferPointer(rebasing: head[targetStart..<targetEnd]), method: method) else {
            return fail("unsupported request target form")
        }

        // field-line = field-name ":" OWS field-value OWS CRLF  (RFC 9112 §5)
        let storageStart = p
        var fields: [HTTPHeaders.Field] = []
        var contentLength: Int?
        var sawContentLength = false
        var transferEncoding: [UInt8]?
        var hostCount = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
        while p < n {
            if head[p] == 0x0D { break }  // the blank line that ends the head
            if head[p] == 0x20 || head[p] == 0x09 { return fail("obsolete line folding") }  // RFC 9112 §5.2
            let nameStart = p
            while p < n, isTokenChar(head[p]) { p += 1 }
            guard p < n, p > nameStart else { return fail("invalid header name") }
            if head[p] == 0x20 || head[p] == 0x09 { return fail("whitespace before colon in header") }  // RFC 9112 §5.1
            guard head[p] == UInt8(ascii: ":") else { return fail("invalid header name") }
            let nameEnd = p
            p += 1
            while p < n, head[p] == 0x20 || head[p] == 0x09 { p += 1 }
            let valueStart = p
            var valueEnd = p
            while p < n, head[p] != 0x0D {
                let b = head[p]
                // field-vchar / SP / HTAB, obs-text allowed (RFC 9110 §5.5); CTLs including NUL are not.
                guard b == 0x09 || (b >= 0x20 && b != 0x7F) else { return fail(b == 0 ? "NUL in header value" : "control character in header value") }
                p += 1
                if b != 0x20 && b != 0x09 { valueEnd = p }
            }
            guard p + 1 < n, head[p + 1] == 0x0A else { return fail("bare CR in header") }
            p += 2
            let field = HTTPHeaders.Field(
                nameStart: Int32(nameStart - storageStart), nameEnd: Int32(nameEnd - storageStart),
                valueStart: Int32(valueStart - storageStart), valueEnd: Int32(valueEnd - storageStart))
            fields.append(field)
            let name = UnsafeBufferPointer(rebasing: head[nameStart..<nameEnd])
            let value = UnsafeBufferPointer(rebasing: head[valueStart..<valueEnd])
            if equalsLower(name, "content-length") {
                // RFC 9112 §6.3: duplicated or non-numeric Content-Length is unrecoverable framing.
                guard !sawContentLength else { return fail("duplicate Content-Length") }
                sawContentLength = true
                guard let length = ASCIIDecimal.int(value) else { return fail("invalid Content-Length") }
                contentLength = length
            } else if equalsLower(name, "transfer-encoding") {
                guard transferEncoding == nil else { return fail("multiple Transfer-Encoding fields") }
                transferEncoding = Array(value)
            } else if equalsLower(name, "host") {
                hostCount += 1
            } else if equalsLower(name, "connection") {
                forEachToken(value) { token in
                    if equalsLower(token, "close") { connectionClose = true }
                    if equalsLower(token, "keep-alive") { connectionKeepAlive = true }
                }
            } else if equalsLower(name, "expect") {
                guard equalsLower(value, "100-continue") else { return fail("unsupported expectation", 417) }
                expectContinue = true
            }
        }
        guard p + 2 == n else { return fail("malformed header section") }

        // RFC 9112 §3.2: a 1.1 request has exactly one Host.
        if version == .http11, hostCount != 1 { return fail(hostCount == 0 ? "missing Host header" : "duplicate Host header") }
        if hostCount > 1 { return fail("duplicate Host header") }

        var framing = BodyFraming.none
        if let te = transferEncoding {
            // RFC 9112 §6.1: TE with CL is a smuggling vector; only a lone, final "chunked" is accepted here.
            guard contentLength == nil else { return fail("both Content-Length and Transfer-Encoding") }
            guard version == .http11 else { return fail("Transfer-Encoding in an HTTP/1.0 request") }
            guard te.withUnsafeBufferPointer({ equalsLower($0, "chunked") }) else { return fail("unsupported transfer coding") }
            framing = .chunked
        } else if let length = contentLength {
            guard length <= limits.maxBodyBytes else { return fail("body larger than \(limits.maxBodyBytes) bytes", 413) }
            framing = length > 0 ? .length(length) : .none
        }

        let keepAlive = version == .http11 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        let headers = HTTPHeaders(storage: Array(head[storageStart..<n]), fields: fields)
        return .success(
            RequestHead(
                method: method, path: path, query: query, version: version, headers: headers,
                framing: framing, keepAlive: keepAlive, expectContinue: expectContinue && framing != .none))
    }

    /// origin-form, absolute-form (authority dropped, RFC 9112 §3.2.2) or "*" for OPTIONS.
    private static func splitTarget(_ target: UnsafeBufferPointer<UInt8>, method: HTTPMethod) -> (String, String?)? {
        var t = target[...]
        if t.first != UInt8(ascii: "/") {
            if t.count == 1, t.first == UInt8(ascii: "*"), method == .options { return ("*", nil) }
            guard let schemeEnd = findSubsequence(t, "://") else { return nil }
            let scheme = t[t.startIndex..<schemeEnd]
            guard equalsLower(UnsafeBufferPointer(rebasing: scheme), "http") || equalsLower(UnsafeBufferPointer(rebasing: scheme), "https") else { return nil }
            t = t[(schemeEnd + 3)...]
            // RFC 3986 §3.2: the authority ends at the first "/", "?" or "#", or at the end.
            let authorityEnd = t.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? t.endIndex
            guard isValidAuthority(t[t.startIndex..<authorityEnd]) else { return nil }
            t = t[authorityEnd...]
            if t.isEmpty { return ("/", nil) }
            if t.first == UInt8(ascii: "#") { return nil }  // a fragment is never part of a request target
            if t.first == UInt8(ascii: "?") {  // an empty path is "/" (RFC 9112 §3.2.1)
                return ("/", String(decoding: t.dropFirst(), as: UTF8.self))
            }
        }
        if let q = t.firstIndex(of: UInt8(ascii: "?")) {
            return (String(decoding: t[t.startIndex..<q], as: UTF8.self), String(decoding: t[(q + 1)...], as: UTF8.self))
        }
        return (String(decoding: t, as: UTF8.self), nil)
    }

    /// host [":" port] of an http(s) URI: a reg-name (unreserved, sub-delims, pct-encoded) or an
    /// IP-literal in brackets, never empty (RFC 9110 §4.2.1); userinfo is refused, as RFC 9110
    /// §4.2.4 asks of a recipient.
    private static func isValidAuthority(_ a: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var i = a.startIndex
        if a.first == UInt8(ascii: "[") {
            guard let close = a.firstIndex(of: UInt8(ascii: "]")), close > i + 1 else { return false }
            guard a[(i + 1)..<close].allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return false }
            i = close + 1
        } else {
            while i < a.endIndex, a[i] != UInt8(ascii: ":") {
                guard isRegNameByte(a[i]) else { return false }
                i += 1
            }
            guard i > a.startIndex else { return false }
        }
        guard i < a.endIndex else { return true }
        guard a[i] == UInt8(ascii: ":") else { return false }
        return a[(i + 1)...].allSatisfy(isDigit)
    }

    private static func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- UInt8(ascii: "a") < 6 }

    private static func isRegNameByte(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20) &- UInt8(ascii: "a") < 26 || "-._~!$&'()*+,;=%".utf8.contains(b)
    }

    private static func findSubsequence(_ haystack: Slice<UnsafeBufferPointer<UInt8>>, _ needle: StaticString) -> Int? {
        let count = needle.utf8CodeUnitCount
        guard haystack.count >= count else { return nil }
        outer: for i in haystack.startIndex...(haystack.endIndex - count) {
            for j in 0..<count where haystack[i + j] != needle.utf8Start[j] { continue outer }
            return i
        }
        return nil
    }
}

// MARK: - byte helpers shared by the parsers

/// tchar (RFC 9110 §5.6.2).
let tokenTable: [Bool] = (0..<256).map { b in
    switch UInt8(b) {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return true
    default: return "!#$%&'*+-.^_`|~".utf8.contains(UInt8(b))
    }
}

@inline(__always) func isTokenChar(_ b: UInt8) -> Bool { tokenTable[Int(b)] }
@inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

func equalsLower(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    for i in 0..<bytes.count where asciiLower(bytes[i]) != lowercase.utf8Start[i] { return false }
    return true
}

/// Calls `body` for each comma-separated token, trimmed of OWS.
func forEachToken(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    var start = 0
    for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: ",") {
        var s = start, e = i
        while s < e, bytes[s] == 0x20 || bytes[s] == 0x09 { s += 1 }
        while e > s, bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09 { e -= 1 }
        if e > s { body(UnsafeBufferPointer(rebasing: bytes[s..<e])) }
        start = i + 1
    }
}
