import JSON

/// Reads an allocation body in either of two shapes:
/// - this API's: `{from, to, allocation_type, description?, data?}`, RFC 3339 times, null for an open end;
/// - the inventory guide's: `{from_datetime, to_datetime, from_infinity, to_infinity, allocation_type, description?, dump?}`,
///   times as "YYYY-MM-DDTHH:MM:SS" in UTC, so that its clients work unchanged.
struct AllocationParser: Sendable {
    var maxDataBytes: Int
    static let maxTypeLength = 100
    static let maxDescriptionLength = 1000
    private static let native: Set<String> = ["from", "to", "data"]
    private static let guide: Set<String> = ["from_datetime", "to_datetime", "from_infinity", "to_infinity", "dump"]
    private static let shared: Set<String> = ["allocation_type", "description"]

    func parse(_ body: JSONValue, id: String) -> Result<Allocation, ValidationErrors> {
        guard case .object(let input) = body else { return .failure(ValidationErrors([FieldError("(body)", "must be a JSON object")])) }
        var errors: [FieldError] = []
        for field in input where !Self.native.contains(field.key) && !Self.guide.contains(field.key) && !Self.shared.contains(field.key) {
            errors.append(FieldError(field.key, "is not a field of an allocation"))
        }
        let usesGuide = input.contains { Self.guide.contains($0.key) }
        if usesGuide, let mixed = input.first(where: { Self.native.contains($0.key) }) {
            errors.append(FieldError(mixed.key, "cannot be combined with the from_datetime/to_datetime format"))
        }
        let type = FieldRules.requiredString(input["allocation_type"], field: "allocation_type", maxLength: Self.maxTypeLength, errors: &errors)
        var description: String?
        switch input["description"] {
        case nil, .null?: break
        case .string(let s)?:
            if s.unicodeScalars.count > Self.maxDescriptionLength { errors.append(FieldError("description", "must be at most \(Self.maxDescriptionLength) characters")) }
            description = s
        case let other?: errors.append(FieldError("description", "must be a string, not \(other.typeName)"))
        }
        let dataField = usesGuide ? "dump" : "data"
        var data: JSONObject?
        switch input[dataField] {
        case nil, .null?: break
        case .object(let o)?:
            FieldRules.checkKeys(.object(o), path: dataField, errors: &errors)
            if JSONWriter.encode(.object(o)).count > maxDataBytes { errors.append(FieldError(dataField, "is larger than \(maxDataBytes) bytes as JSON")) }
            data = o
        case let other?: errors.append(FieldError(dataField, "must be a JSON object, not \(other.typeName)"))
        }
        let from = usesGuide ? guideEnd(input, "from", &errors) : nativeEnd(input, "from", &errors)
        let to = usesGuide ? guideEnd(input, "to", &errors) : nativeEnd(input, "to", &errors)
        if let from, let to, from.value >= to.value {
            errors.append(FieldError(from.field, from.value == to.value ? "must be before \(to.field); an empty interval books nothing" : "must be before \(to.field)"))
        }
        guard errors.isEmpty, let type, let from, let to else { return .failure(ValidationErrors(errors)) }
        return .success(Allocation(id: id, interval: Interval(from: from.value, to: to.value), allocationType: type, description: description, data: data))
    }

    /// `from` / `to`: an RFC 3339 timestamp, or null for an open end. The key must be present.
    private func nativeEnd(_ input: JSONObject, _ end: String, _ errors: inout [FieldError]) -> (field: String, value: Int64)? {
        let open = end == "from" ? Timestamp.openStart : Timestamp.openEnd
        switch input[end] {
        case nil:
            errors.append(FieldError(end, "is required (null for an open end)"))
        case .null?:
            return (end, open)
        case .string(let text)?:
            if let t = Self.instant(text, offsetOptional: false) { return (end, t) }
            errors.append(FieldError(end, "must be an RFC 3339 timestamp such as 2026-01-31T09:00:00Z, between years 0001 and 9999"))
        case let other?:
            errors.append(FieldError(end, "must be an RFC 3339 timestamp or null, not \(other.typeName)"))
        }
        return nil
    }

    /// `from_datetime` with `from_infinity` (and the same for `to`), as the guide has them.
    private func guideEnd(_ input: JSONObject, _ end: String, _ errors: inout [FieldError]) -> (field: String, value: Int64)? {
        let field = end + "_datetime", flag = end + "_infinity"
        let open = end == "from" ? Timestamp.openStart : Timestamp.openEnd
        var infinite = false
        switch input[flag] {
        case nil, .null?: break
        case .bool(let b)?: infinite = b
        case let other?: errors.append(FieldError(flag, "must be true or false, not \(other.typeName)")); return nil
        }
        switch input[field] {
        case nil, .null?:
            if infinite { return (field, open) }
            errors.append(FieldError(field, "is required unless \(flag) is true"))
        case .string(let text)?:
            if infinite { errors.append(FieldError(field, "cannot be given when \(flag) is true")); return nil }
            if let t = Self.instant(text, offsetOptional: true) { return (field, t) }
            errors.append(FieldError(field, "must be YYYY-MM-DDTHH:MM:SS (UTC) or RFC 3339"))
        case let other?:
            errors.append(FieldError(field, "must be a string, not \(other.typeName)"))
        }
        return nil
    }

    static func instant(_ text: String, offsetOptional: Bool) -> Int64? {
        guard let t = Timestamp.parse(text, offsetOptional: offsetOptional), t >= Timestamp.earliest, t <= Timestamp.latest else { return nil }
        return t
    }
}
