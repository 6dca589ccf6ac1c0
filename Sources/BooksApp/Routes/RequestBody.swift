import HTTPServer
import JSON

/// Reads a JSON request body: the media type must be one we accept (else 415), and the bytes
/// must be strict, UTF-8, not too deeply nested JSON (else 400).
enum RequestBody {
    static let maxDepth = 32

    static func json(_ request: HTTPRequest, mediaTypes: [String]) throws(Problem) -> JSONValue {
        guard !request.body.isEmpty else { throw Problem(400, "a JSON request body is required") }
        guard let contentType = request.headers["content-type"] else {
            throw Problem(415, "Content-Type must be \(mediaTypes.joined(separator: " or "))")
        }
        let parts = contentType.split(separator: ";")
        let mediaType = parts.first.map { $0.trimmed.lowercased() } ?? ""
        guard mediaTypes.contains(mediaType) else {
            throw Problem(415, "Content-Type \(mediaType) is not supported; use \(mediaTypes.joined(separator: " or "))")
        }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmed.lowercased() }
            if pair.first == "charset", pair.count == 2, pair[1].replacingQuotes != "utf-8" {
                throw Problem(415, "only charset=utf-8 is supported")
            }
        }
        do throws(JSONError) {
            return try JSONParser.parse(request.body, maxDepth: maxDepth)
        } catch {
            switch error.kind {
            case .invalidUTF8: throw Problem(400, "the request body is not valid UTF-8 (\(error))")
            case .tooDeep: throw Problem(400, "the request body nests deeper than \(maxDepth) levels")
            case .numberOutOfRange: throw Problem(400, "the request body has a number out of range (\(error))")
            case .duplicateKey: throw Problem(400, "the request body is ambiguous: \(error)")
            case .syntax: throw Problem(400, "the request body is not valid JSON: \(error)")
            }
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (and CR, for `.env` files written on Windows).
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}

private extension String {
    var replacingQuotes: String { filter { $0 != "\"" } }
}
