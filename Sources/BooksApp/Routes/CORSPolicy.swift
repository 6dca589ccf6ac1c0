import HTTPServer

/// Cross-origin rules from CORS_ORIGINS. The default allows no other origin: the SPA is served
/// from the same origin, and a production API should not be callable from arbitrary pages.
struct CORSPolicy: Sendable {
    let origins: Set<String>
    let allowsAny: Bool
    static let exposed = "X-Total-Count, Link, ETag, Location, WWW-Authenticate, Preference-Applied"
    static let allowedHeaders = "Content-Type, If-Match, If-None-Match, Authorization, X-Request-ID, Prefer"

    init(_ configured: [String]) {
        allowsAny = configured.contains("*")
        origins = Set(configured.filter { $0 != "*" })
    }

    func allowedOrigin(_ origin: String?) -> String? {
        guard let origin else { return nil }
        if allowsAny { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    /// The one place CORS headers are added, once each, to every response (preflights included).
    /// With a list of origins the answer depends on Origin, so `Vary: Origin` goes on every
    /// response, matching or not, or a cache could hand one origin's answer to another (Fetch
    /// standard, CORS protocol and HTTP caches). With `*` it does not depend on Origin at all.
    func decorate(_ response: inout HTTPResponse, origin: String?) {
        guard allowsAny || !origins.isEmpty else { return }
        if !allowsAny { response.addVary("Origin") }
        guard let allowed = allowsAny ? "*" : allowedOrigin(origin) else { return }
        response.addHeader("Access-Control-Allow-Origin", allowed)
        response.addHeader("Access-Control-Expose-Headers", Self.exposed)
    }

    /// Answers OPTIONS: a CORS preflight when the browser sent one, else just `Allow`. The
    /// origin headers come from `decorate`, like every other response's.
    func options(_ request: HTTPRequest, allow: String) -> HTTPResponse {
        var response = HTTPResponse(status: 204)
        response.addHeader("Allow", allow)
        if request.headers["access-control-request-method"] != nil, allowedOrigin(request.headers["origin"]) != nil {
            response.addHeader("Access-Control-Allow-Methods", allow)
            response.addHeader("Access-Control-Allow-Headers", Self.allowedHeaders)
            response.addHeader("Access-Control-Max-Age", "600")
        }
        return response
    }
}
