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

    static func match(_ path: String) throws(Problem) -> Route? {
        switch path {
        case "/books": return .books
        case "/healthz": return .healthz
        case "/readyz": return .readyz
        case "/openapi.json": return .openapi
        case "/metrics": return .metrics
        default: break
        }
        if let inventory = try matchInventory(path) { return inventory }
        guard path.hasPrefix("/books/") else { return nil }
        let rawID = path.dropFirst("/books/".count)
        guard !rawID.isEmpty, !rawID.contains("/") else { return nil }
        let id = try QueryString.decode(rawID, what: "book id", plusIsSpace: false)
        guard id.utf8.count <= 128, !id.contains("/") else { return nil }
        return .book(id: id)
    }

    /// /{type}, /{type}/{id}, /{type}/{id}/allocations and /{type}/{id}/allocations/{allocation_id}.
    private static func matchInventory(_ path: String) throws(Problem) -> Route? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].isEmpty, let kind = ResourceKind.named(parts[1]) else { return nil }
        func segment(_ i: Int, _ what: String) throws(Problem) -> String? {
            guard !parts[i].isEmpty else { return nil }
            let decoded = try QueryString.decode(parts[i], what: what, plusIsSpace: false)
            return decoded.utf8.count <= 128 && !decoded.contains("/") ? decoded : nil
        }
        switch parts.count {
        case 2: return .resources(kind)
        case 3: return try segment(2, "resource id").map { .resource(kind, id: $0) }
        case 4 where parts[3] == "allocations": return try segment(2, "resource id").map { .allocations(kind, id: $0) }
        case 5 where parts[3] == "allocations":
            guard let id = try segment(2, "resource id"), let allocationID = try segment(4, "allocation id") else { return nil }
            return .allocation(kind, id: id, allocationID: allocationID)
        default: return nil
        }
    }
}
