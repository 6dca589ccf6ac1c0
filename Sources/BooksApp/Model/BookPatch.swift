import JSON

/// A change to a book's top-level fields, built and validated by the routes.
struct BookPatch: Sendable, Equatable {
    enum Operation: Sendable, Equatable {
        /// Replace the field's value ($set).
        case set(String, JSONValue)
        /// Remove the field ($unset).
        case remove(String)
        /// Merge an object into the field by RFC 7396 rules (nulls remove nested keys).
        case merge(String, JSONObject)
    }
    var operations: [Operation] = []

    /// Applies the patch to a document, as both stores must.
    func apply(to document: inout JSONObject) {
        for operation in operations {
            switch operation {
            case .set(let key, let value): document[key] = value
            case .remove(let key): document[key] = nil
            case .merge(let key, let patch): document[key] = .object(Self.mergePatch(document[key]?.objectValue ?? JSONObject(), patch))
            }
        }
    }

    /// RFC 7396 §2 MergePatch, for object targets: null removes a key, an object merges into the
    /// object there, anything else replaces.
    static func mergePatch(_ target: JSONObject, _ patch: JSONObject) -> JSONObject {
        var result = target
        for field in patch {
            if case .null = field.value {
                result[field.key] = nil
            } else if case .object(let inner) = field.value {
                result[field.key] = .object(mergePatch(result[field.key]?.objectValue ?? JSONObject(), inner))
            } else {
                result[field.key] = field.value
            }
        }
        return result
    }
}
