import HTTPServer
import JSON

/// An error answer, rendered in exactly one place as application/problem+json (RFC 9457).
struct Problem: Error {
    var status: Int
    var detail: String
    var errors: [FieldError] = []
    var headers: [(String, String)] = []
    /// Extension members (RFC 9457 §3.2), such as the conflicting allocations of a 409.
    var extensions: [JSONField] = []

    init(_ status: Int, _ detail: String, errors: [FieldError] = [], headers: [(String, String)] = []) {
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    static func validation(_ errors: [FieldError]) -> Problem {
        let summary = errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
        return Problem(422, "the request body failed validation: \(summary)", errors: errors)
    }

    static func badParameter(_ name: String, _ reason: String) -> Problem {
        Problem(400, "query parameter \(name) \(reason)")
    }

    /// Store failures mapped to statuses: the store names what happened, this decides what HTTP says.
    /// `duplicateOf` names what the id belongs to ("a book", "a car").
    static func from(_ error: StoreError, duplicateOf what: String) -> Problem {
        switch error {
        case .duplicateID(let id): return Problem(409, "\(what) with id \(id) already exists")
        case .documentTooLarge(let limit): return .validation([FieldError("(document)", "is larger than \(limit) bytes as JSON")])
        case .storageFull: return Problem(507, "the store is out of space; the write was not applied", headers: [("Retry-After", "30")])
        case .unavailable, .pendingWrite: return Problem(503, "the store is unavailable; try again shortly", headers: [("Retry-After", "5")])
        case .timeout: return Problem(504, "the store did not answer in time")
        case .misconfigured(let detail): return Problem(503, detail, headers: [("Retry-After", "60")])
        case .full(let detail): return Problem(409, detail)
        case .outcomeUnknown(let detail, let timedOut): return Problem(timedOut ? 504 : 503, detail, headers: [("Retry-After", "5")])
        case .corrupt, .invalid: return Problem(500, "internal error")
        }
    }

    func response(requestID: String, path: String) -> HTTPResponse {
        var object = JSONObject()
        object["type"] = .string(status == 422 ? "/problems/validation" : "about:blank")
        object["title"] = .string(Self.title(status))
        object["status"] = .int(Int64(status))
        object["detail"] = .string(detail)
        object["instance"] = .string(path)
        object["request_id"] = .string(requestID)
        if !errors.isEmpty {
            object["errors"] = .array(errors.map { .object(JSONObject([JSONField("field", .string($0.field)), JSONField("message", .string($0.message))])) })
        }
        for field in extensions { object[field.key] = field.value }
        var response = HTTPResponse(status: status, contentType: "application/problem+json", body: JSONWriter.encode(.object(object)))
        for (name, value) in headers { response.addHeader(name, value) }
        return response
    }

    /// RFC 9457 §3.1.4: the title is the status's phrase, from the one status table.
    static func title(_ status: Int) -> String {
        let phrase = HTTPStatus.reason(status)
        return phrase.utf8CodeUnitCount > 0 ? "\(phrase)" : "Error"
    }
}
