import HTTPServer

/// The API's routes. Matching is exact: no trailing-slash guessing, no case folding.
enum Route: Equatable {
    case books
    case book(id: String)
    case healthz
    case readyz
    case openapi

    /// Methods each route answers, for 405 `Allow` and OPTIONS.
    var allow: String {
        switch self {
        case .books: return "GET, HEAD, POST, OPTIONS"
        case .book: return "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
        case .healthz, .readyz, .openapi: return "GET, HEAD, OPTIONS"
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
        }
    }

    /// Paths the API owns: they never fall through to static files.
    static func isAPIPath(_ path: String) -> Bool {
        path == "/books" || path.hasPrefix("/books/") || path == "/healthz" || path == "/readyz" || path == "/openapi.json"
    }

    static func match(_ path: String) throws(Problem) -> Route? {
        switch path {
        case "/books": return .books
        case "/healthz": return .healthz
        case "/readyz": return .readyz
        case "/openapi.json": return .openapi
        default: break
        }
        guard path.hasPrefix("/books/") else { return nil }
        let rawID = path.dropFirst("/books/".count)
        guard !rawID.isEmpty, !rawID.contains("/") else { return nil }
        let id = try QueryString.decode(rawID, what: "book id", plusIsSpace: false)
        guard id.utf8.count <= 128, !id.contains("/") else { return nil }
        return .book(id: id)
    }
}
