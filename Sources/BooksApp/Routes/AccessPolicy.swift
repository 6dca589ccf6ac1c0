import ASCIIText
import COpenSSL
import HTTPServer

/// Who may call what: with API_TOKEN (or API_TOKEN_FILE) set, writes need
/// `Authorization: Bearer <token>` (RFC 6750 §2.1); reads too when READS_REQUIRE_TOKEN is on.
/// Probes, the OpenAPI document and the static site always stay open.
struct AccessPolicy: Sendable {
    private let token: [UInt8]?
    private let readsRequireToken: Bool

    init(token: String?, readsRequireToken: Bool) {
        self.token = token.map { Array($0.utf8) }
        self.readsRequireToken = readsRequireToken
    }

    var isEnabled: Bool { token != nil }

    /// nil when the request may go on; otherwise the 401 to send. Never echoes what was presented.
    /// A calendar feed (`feed`) also opens to its own feed token in `?feed_token=`, since
    /// calendar applications cannot send an Authorization header.
    func check(_ request: HTTPRequest, feed: Bool = false) -> Problem? {
        guard let token else { return nil }
        let isWrite = request.method == .post || request.method == .put || request.method == .patch || request.method == .delete
        guard isWrite || readsRequireToken else { return nil }
        if feed, request.headers["authorization"] == nil {
            guard let presented = try? QueryString(request.query).value("feed_token") else {
                return Self.unauthorized("this feed needs ?feed_token= (see `BooksAPI feed-url`) or an Authorization: Bearer <token> header", error: nil)
            }
            guard Self.constantTimeEqual(Array(presented.utf8)[...], Array(Self.feedToken(path: request.path, key: token).utf8)) else {
                return Self.unauthorized("the feed token is not valid for this feed", error: "invalid_token")
            }
            return nil
        }
        guard let header = request.headers["authorization"] else {
            return Self.unauthorized("this request needs an Authorization: Bearer <token> header", error: nil)
        }
        guard let presented = Self.bearerCredential(header), Self.constantTimeEqual(presented, token) else {
            return Self.unauthorized("the bearer token is not valid", error: "invalid_token")
        }
        return nil
    }

    /// The credential of `Bearer <b64token>`; the scheme is case-insensitive (RFC 9110 §11.1).
    static func bearerCredential(_ header: String) -> ArraySlice<UInt8>? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count else { return nil }
        for i in 0..<scheme.count where bytes[i] | 0x20 != scheme[i] | 0x20 { return nil }
        var start = scheme.count
        while start < bytes.count, bytes[start] == UInt8(ascii: " ") { start += 1 }
        return start < bytes.count ? bytes[start...] : nil
    }

    /// Compares in time that depends only on the expected token's length, so response timing
    /// does not reveal how many leading bytes of a guess were right.
    static func constantTimeEqual(_ presented: ArraySlice<UInt8>, _ expected: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: presented.count ^ expected.count)
        let base = presented.startIndex
        for i in 0..<expected.count {
            let p: UInt8 = i < presented.count ? presented[base + i] : 0
            difference |= UInt(p ^ expected[i])
        }
        return difference == 0
    }

    /// The read-only token of one feed: HMAC-SHA256 (RFC 2104) of its path under the API token,
    /// in lowercase hex. It opens only that path, reveals nothing of the API token, and changes
    /// (revoking every feed URL) when the API token does.
    static func feedToken(path: String, key: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let message = Array(("booksapi-feed:" + path).utf8)
        _ = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.bindMemory(to: UInt8.self).baseAddress, m.count, &digest, &length) }
        }
        return String(decoding: digest.flatMap { [ASCIIHex.lowercase[Int($0 >> 4)], ASCIIHex.lowercase[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    static func feedToken(path: String, token: String) -> String { feedToken(path: path, key: Array(token.utf8)) }

    /// A token is a b64token (RFC 6750 §2.1), so it fits in the header as it is.
    static func isValidToken(_ token: String) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/".utf8)
        let bytes = Array(token.utf8)
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "=") { end -= 1 }
        return end > 0 && bytes[..<end].allSatisfy(allowed.contains)
    }

    private static func unauthorized(_ detail: String, error: String?) -> Problem {
        // RFC 6750 §3: the challenge names the realm, and the error when a token was presented.
        let challenge = "Bearer realm=\"BooksAPI\"" + (error.map { ", error=\"\($0)\"" } ?? "")
        return Problem(401, detail, headers: [("WWW-Authenticate", challenge)])
    }
}
