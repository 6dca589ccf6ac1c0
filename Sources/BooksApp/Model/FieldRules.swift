import JSON

/// One validation failure, reported as `errors: [{field, message}]` in a 422.
struct FieldError: Equatable, Sendable {
    var field: String
    var message: String
    init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// Every field error of one request body.
struct ValidationErrors: Error, Equatable {
    var list: [FieldError]
    init(_ list: [FieldError]) { self.list = list }
}

/// Rules shared by every document type: what a stored key may look like, and string limits.
enum FieldRules {
    /// Keys become MongoDB field names, so `$` prefixes, dots and NUL are refused (they would be
    /// operators or paths), as is `_id`, which belongs to the database.
    static func checkKeys(_ value: JSONValue, path: String, errors: inout [FieldError]) {
        switch value {
        case .object(let object):
            for field in object {
                let fieldPath = path.isEmpty ? field.key : path + "." + field.key
                if let problem = keyProblem(field.key) { errors.append(FieldError(fieldPath, problem)) }
                checkKeys(field.value, path: fieldPath, errors: &errors)
            }
        case .array(let items):
            for (i, item) in items.enumerated() { checkKeys(item, path: "\(path)[\(i)]", errors: &errors) }
        default:
            break
        }
    }

    static func keyProblem(_ key: String) -> String? {
        if key.isEmpty { return "field names must not be empty" }
        if key.hasPrefix("$") { return "field names must not start with $" }
        if key.utf8.contains(UInt8(ascii: ".")) { return "field names must not contain ." }
        if key.utf8.contains(0) { return "field names must not contain NUL" }
        if key == "_id" { return "_id is reserved" }
        return nil
    }

    /// A required, non-blank string of at most `maxLength` Unicode scalars.
    static func requiredString(_ value: JSONValue?, field: String, maxLength: Int, errors: inout [FieldError]) -> String? {
        guard let value else { errors.append(FieldError(field, "is required")); return nil }
        guard case .string(let s) = value else { errors.append(FieldError(field, "must be a string, not \(value.typeName)")); return nil }
        if s.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) { errors.append(FieldError(field, "must not be empty")); return nil }
        if s.unicodeScalars.count > maxLength { errors.append(FieldError(field, "must be at most \(maxLength) characters")); return nil }
        return s
    }

    /// A whole number: JSON integers, and doubles with no fractional part.
    static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int64(d)
        default: return nil
        }
    }
}
