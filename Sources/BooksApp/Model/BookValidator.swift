import ASCIIText
import JSON

/// Turns request bodies into valid, normalised books and patches.
/// Stored books always have `id, title, author, [year], score, read` first, then extra fields in the order given.
struct BookValidator: Sendable {
    var maxDocumentBytes: Int
    static let maxTextLength = 300
    static let yearRange: ClosedRange<Int64> = -9999...9999
    static let scoreRange: ClosedRange<Int64> = -1...10
    private static let known: Set<String> = ["id", "title", "author", "year", "score", "read"]

    /// A new book from a POST body (or a seed record), with the id the server chose.
    func newBook(_ body: JSONValue, id: String, allowIDInBody: Bool = false) -> Result<JSONObject, ValidationErrors> {
        guard case .object(let input) = body else { return .failure(ValidationErrors([FieldError("(body)", "must be a JSON object")])) }
        var errors: [FieldError] = []
        if !allowIDInBody, input.contains("id") { errors.append(FieldError("id", "is assigned by the server; leave it out")) }
        let title = FieldRules.requiredString(input["title"], field: "title", maxLength: Self.maxTextLength, errors: &errors)
        let author = FieldRules.requiredString(input["author"], field: "author", maxLength: Self.maxTextLength, errors: &errors)
        var year: Int64?
        if let value = input["year"], value != .null { year = Self.year(value, &errors) }
        let score = input["score"].map { Self.score($0, &errors) } ?? -1
        let read = input["read"].map { Self.read($0, &errors) } ?? false
        var book = JSONObject([JSONField("id", .string(id))])
        book["title"] = .string(title ?? "")
        book["author"] = .string(author ?? "")
        if let year { book["year"] = .int(year) }
        book["score"] = .int(score ?? -1)
        book["read"] = .bool(read ?? false)
        for field in input where !Self.known.contains(field.key) {
            FieldRules.checkKeys(.object(JSONObject([field])), path: "", errors: &errors)
            book[field.key] = field.value
        }
        if errors.isEmpty, let sizeError = sizeProblem(book) { errors.append(sizeError) }
        return errors.isEmpty ? .success(book) : .failure(ValidationErrors(errors))
    }

    /// PUT: `$set` semantics, as the original app had. Only the given fields change.
    func replaceFields(_ body: JSONValue, id: String) -> Result<BookPatch, ValidationErrors> {
        patch(body, id: id, mergeSemantics: false)
    }

    /// PATCH: JSON merge patch (RFC 7396). `null` removes an optional field.
    func mergePatch(_ body: JSONValue, id: String) -> Result<BookPatch, ValidationErrors> {
        patch(body, id: id, mergeSemantics: true)
    }

    private func patch(_ body: JSONValue, id: String, mergeSemantics: Bool) -> Result<BookPatch, ValidationErrors> {
        guard case .object(let input) = body else { return .failure(ValidationErrors([FieldError("(body)", "must be a JSON object")])) }
        var errors: [FieldError] = []
        var patch = BookPatch()
        for field in input {
            let key = field.key, value = field.value
            switch key {
            case "id":
                if value != .string(id) { errors.append(FieldError("id", "cannot be changed")) }
            case "title", "author":
                if value == .null, mergeSemantics { errors.append(FieldError(key, "is required and cannot be removed")); continue }
                if let s = FieldRules.requiredString(value, field: key, maxLength: Self.maxTextLength, errors: &errors) { patch.operations.append(.set(key, .string(s))) }
            case "year":
                if value == .null { patch.operations.append(.remove("year")); continue }
                if let y = Self.year(value, &errors) { patch.operations.append(.set("year", .int(y))) }
            case "score":
                if value == .null, mergeSemantics { errors.append(FieldError(key, "cannot be removed; use -1 for unrated")); continue }
                if let s = Self.score(value, &errors) { patch.operations.append(.set("score", .int(s))) }
            case "read":
                if value == .null, mergeSemantics { errors.append(FieldError(key, "cannot be removed")); continue }
                if let r = Self.read(value, &errors) { patch.operations.append(.set("read", .bool(r))) }
            default:
                FieldRules.checkKeys(.object(JSONObject([field])), path: "", errors: &errors)
                if mergeSemantics, case .null = value {
                    patch.operations.append(.remove(key))
                } else if mergeSemantics, case .object(let inner) = value {
                    patch.operations.append(.merge(key, inner))
                } else {
                    patch.operations.append(.set(key, value))
                }
            }
        }
        return errors.isEmpty ? .success(patch) : .failure(ValidationErrors(errors))
    }

    /// A book as stored elsewhere (a MongoDB seeded by the original script has `read: 1`), in the
    /// shape the API always answers with: `read` a boolean, `score` and `year` integers, no `_id`.
    static func normalizeStored(_ document: JSONObject) -> JSONObject {
        var book = document
        book["_id"] = nil
        if case .int(let r)? = book["read"] { book["read"] = .bool(r != 0) }
        if let score = book["score"] {
            var ignored: [FieldError] = []
            if let s = Self.score(score, &ignored) { book["score"] = .int(s) }
        }
        if case .double(let y)? = book["year"], let whole = FieldRules.integer(.double(y)) { book["year"] = .int(whole) }
        return book
    }

    /// The stored document must stay within the size limit after any change.
    func sizeProblem(_ book: JSONObject) -> FieldError? {
        var bytes: [UInt8] = []
        JSONWriter.writeObject(book, into: &bytes)
        return bytes.count > maxDocumentBytes ? FieldError("(document)", "is larger than \(maxDocumentBytes) bytes as JSON") : nil
    }

    static func year(_ value: JSONValue, _ errors: inout [FieldError]) -> Int64? {
        guard let y = FieldRules.integer(value) else { errors.append(FieldError("year", "must be an integer, not \(value.typeName)")); return nil }
        guard yearRange.contains(y) else { errors.append(FieldError("year", "must be between \(yearRange.lowerBound) and \(yearRange.upperBound)")); return nil }
        return y
    }

    /// -1...10; numeric strings such as "8" are accepted because the original Vue form sends them.
    static func score(_ value: JSONValue, _ errors: inout [FieldError]) -> Int64? {
        var number = FieldRules.integer(value)
        if case .string(let s) = value, let parsed = ASCIIDecimal.parse(s, allowMinus: true) {
            number = parsed
        }
        guard let score = number else { errors.append(FieldError("score", "must be an integer from -1 to 10 (-1: unrated), not \(value.typeName)")); return nil }
        guard scoreRange.contains(score) else { errors.append(FieldError("score", "must be from -1 to 10 (-1: unrated)")); return nil }
        return score
    }

    /// true/false; 0 and 1 as in the original data.
    static func read(_ value: JSONValue, _ errors: inout [FieldError]) -> Bool? {
        switch value {
        case .bool(let b): return b
        case .int(0): return false
        case .int(1): return true
        default:
            errors.append(FieldError("read", "must be true or false (or 0 or 1)"))
            return nil
        }
    }
}
