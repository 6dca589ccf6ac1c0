/// A JSON value that keeps object field order, as a document store must.
///
/// Integers that fit in 64 bits stay integers (`int`), so `8` never turns into `8.0`.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// A short type name for error messages ("expected a string, got an object").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// One `key: value` pair of an object.
public struct JSONField: Equatable, Sendable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// An ordered JSON object. Lookups are linear: documents here have a handful of fields,
/// where a scan beats hashing and keeps insertion order for free.
public struct JSONObject: Equatable, Sendable, Sequence {
    public private(set) var fields: [JSONField]

    public init(_ fields: [JSONField] = []) { self.fields = fields }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public func makeIterator() -> IndexingIterator<[JSONField]> { fields.makeIterator() }

    public subscript(key: String) -> JSONValue? {
        get {
            for field in fields where field.key == key { return field.value }
            return nil
        }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append(JSONField(key, newValue))
            }
        }
    }

    public func contains(_ key: String) -> Bool { fields.contains { $0.key == key } }

    /// Appends without checking for an existing key; the parser has already checked.
    mutating func appendUnchecked(_ key: String, _ value: JSONValue) {
        fields.append(JSONField(key, value))
    }

    public mutating func removeValue(forKey key: String) {
        fields.removeAll { $0.key == key }
    }
}
