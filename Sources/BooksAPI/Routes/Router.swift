import HTTPServer

/// The API's routes. Matching is exact: no trailing-slash guessing, no case folding.
enum Route: Equatable {
    case books
    case book(id: String)
    case healthz
    case readyz
    case openapi
    case metrics
    case resources(ResourceKind)
    case resource(ResourceKind, id: String)
    case allocations(ResourceKind, id: String)
    case allocation(ResourceKind, id: String, allocationID: String)

    /// Methods each route answers, for 405 `Allow` and OPTIONS.
    var allow: String {
        switch self {
        case .books: return "GET, HEAD, POST, OPTIONS"
        case .book: return "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
        case .healthz, .readyz, .openapi, .metrics: return "GET, HEAD, OPTIONS"
        case .resources, .allocations: return "GET, HEAD, POST, OPTIONS"
        case .resource: return "GET, HEAD, PATCH, DELETE, OPTIONS"
        case .allocation: return "GET, HEAD, DELETE, OPTIONS"
        }
    }

    /// The largest request body `method` takes here: a small multiple of the largest document it
    /// can store (JSON escapes and whitespace make a body larger than what it stores), or 0 where
    /// no body is accepted. A resource body is only its name (at most 200 characters, which
    /// `\uXXXX` escapes can make 2,400 bytes).
    func maxBodyBytes(_ method: HTTPMethod, maxDocumentBytes: Int) -> Int {
        switch (self, method) {
        case (.books, .post), (.book, .put), (.book, .patch), (.allocations, .post): return 4 * maxDocumentBytes
        case (.resources, .post), (.resource, .patch): return 8 * 1024
        default: return 0
        }
    }

    /// Data routes and /metrics, which API_TOKEN guards (reads only with READS_REQUIRE_TOKEN);
    /// probes and the OpenAPI document stay open.
    var isGuarded: Bool {
        switch self {
        case .healthz, .readyz, .openapi: return false
        default: return true
        }
    }

    /// The route template, for logs and metrics.
    var template: String {
        switch self {
        case .books: return "/books"
        case .book: return "/books/{id}"
        case .healthz: return "/healthz"
        case .readyz: return "/readyz"
        case .openapi: return "/openapi.json"
        case .metrics: return "/metrics"
        case .resources(let k): return "/\(k.collection)"
        case .resource(let k, _): return "/\(k.collection)/{id}"
        case .allocations(let k, _): return "/\(k.collection)/{id}/allocations"
        case .allocation(let k, _, _): return "/\(k.collection)/{id}/allocations/{allocation_id}"
        }
    }

    /// Paths the API owns: they never fall through to static files.
    static func isAPIPath(_ path: String) -> Bool {
        if path == "/books" || path.hasPrefix("/books/") || path == "/healthz" || path == "/readyz" || path == "/openapi.json" || path == "/metrics" { return true }
        let first = path.dropFirst().prefix { $0 != "/" }
        return ResourceKind.named(first) != nil
    }

    /// The route of a path, or nil. The shape comes from `RouteLabel`'s byte scan; only id segments
    /// are cut out and percent-decoded.
    static func match(_ path: String) throws(Problem) -> Route? {
        let label = RouteLabel.index(of: path)
        switch label {
        case RouteLabel.other: return nil
        case 0: return .books
        case 1: return try id(path, segment: 1, "book id").map { .book(id: $0) }
        case 2: return .healthz
        case 3: return .readyz
        case 4: return .openapi
        case 5: return .metrics
        default:
            let k = (label - RouteLabel.fixed.count) / 4, kind = ResourceKind.all[k]
            switch (label - RouteLabel.fixed.count) % 4 {
            case 0: return .resources(kind)
            case 1: return try id(path, segment: 1, "resource id").map { .resource(kind, id: $0) }
            case 2: return try id(path, segment: 1, "resource id").map { .allocations(kind, id: $0) }
            default:
                guard let id = try id(path, segment: 1, "resource id"), let allocationID = try self.id(path, segment: 3, "allocation id") else { return nil }
                return .allocation(kind, id: id, allocationID: allocationID)
            }
        }
    }

    /// Path segment `n` (0 is the first after the leading `/`), decoded: at most 128 bytes, no `/`.
    private static func id(_ path: String, segment n: Int, _ what: String) throws(Problem) -> String? {
        let utf8 = path.utf8
        var start = utf8.index(after: utf8.startIndex), seen = 0
        while seen < n, let slash = utf8[start...].firstIndex(of: UInt8(ascii: "/")) {
            start = utf8.index(after: slash)
            seen += 1
        }
        let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
        guard seen == n, start < end else { return nil }
        let decoded = try QueryString.decode(Substring(utf8[start..<end]), what: what, plusIsSpace: false)
        return decoded.utf8.count <= 128 && !decoded.contains("/") ? decoded : nil
    }
}
