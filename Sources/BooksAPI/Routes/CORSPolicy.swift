import HTTPServer

/// Cross-origin rules from CORS_ORIGINS. The default allows no other origin: the SPA is served
/// from the same origin, and a production API should not be callable from arbitrary pages.
struct CORSPolicy: Sendable {
    let origins: Set<String>
    let allowsAny: Bool
    static let exposed = "X-Total-Count, Link, ETag, Location, WWW-Authenticate"
    static let allowedHeaders = "Content-Type, If-Match, If-None-Match, Authorization, X-Request-ID"

    init(_ configured: [String]) {
        allowsAny = configured.contains("*")
        origins = Set(configured.filter { $0 != "*" })
    }

    func allowedOrigin(_ origin: String?) -> String? {
        guard let origin else { return nil }
        if allowsAny { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    /// Adds the headers that let a browser page on an allowed origin read this response.
    func decorate(_ response: inout HTTPResponse, origin: String?) {
        guard !allowsAny || origin != nil, let allowed = allowedOrigin(origin) else { return }
        response.addHeader("Access-Control-Allow-Origin", allowed)
        if !allowsAny { response.addHeader("Vary", "Origin") }
        response.addHeader("Access-Control-Expose-Headers", Self.exposed)
    }

    /// Answers OPTIONS: a CORS preflight when the browser sent one, else just `Allow`.
    func options(_ request: HTTPRequest, allow: String) -> HTTPResponse {
        var response = HTTPResponse(status: 204)
        response.addHeader("Allow", allow)
        let origin = request.headers["origin"]
        if request.headers["access-control-request-method"] != nil, let allowed = allowedOrigin(origin) {
            response.addHeader("Access-Control-Allow-Origin", allowed)
            if !allowsAny { response.addHeader("Vary", "Origin") }
            response.addHeader("Access-Control-Allow-Methods", allow)
            response.addHeader("Access-Control-Allow-Headers", Self.allowedHeaders)
            response.addHeader("Access-Control-Max-Age", "600")
        }
        return response
    }
}
