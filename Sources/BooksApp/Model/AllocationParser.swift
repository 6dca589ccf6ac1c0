import JSON

/// Reads an allocation body in either of two shapes:
/// - this API's: `{from, to, allocation_type, description?, data?}`, RFC 3339 times, null for an open end;
/// - the inventory guide's: `{from_datetime, to_datetime, from_infinity, to_infinity, allocation_type, description?, dump?}`,
///   times as "YYYY-MM-DDTHH:MM:SS" in UTC, so that its clients work unchanged.
struct AllocationParser: Sendable {
    var maxDataBytes: Int
    /// How far ahead a hold may expire (HOLD_TTL), and its expiry when the body gives none.
    var holdTTLMillis: Int64 = 15 * 60_000
    static let maxTypeLength = 100
    static let maxDescriptionLength = 1000
    private static let native: Set<String> = ["from", "to", "data", "status", "expires_at"]
    private static let guide: Set<String> = ["from_datetime", "to_datetime", "from_infinity", "to_infinity", "dump"]
    private static let shared: Set<String> = ["allocation_type", "description"]

    func parse(_ body: JSONValue, id: String, now: Int64 = Timestamp.now()) -> Result<Allocation, ValidationErrors> {
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
        let description = text(input["description"], "description", &errors)
        let dataField = usesGuide ? "dump" : "data"
        let data = object(input[dataField], dataField, &errors)
        let from = usesGuide ? guideEnd(input, "from", &errors) : nativeEnd(input, "from", &errors)
        let to = usesGuide ? guideEnd(input, "to", &errors) : nativeEnd(input, "to", &errors)
        if let from, let to, from.value >= to.value {
            errors.append(FieldError(from.field, from.value == to.value ? "must be before \(to.field); an empty interval books nothing" : "must be before \(to.field)"))
        }
        var status = AllocationStatus.confirmed
        switch input["status"] {
        case nil, .null?: break
        case .string("confirmed")?: break
        case .string("tentative")?: status = .tentative
        case .string("cancelled")?: errors.append(FieldError("status", "cannot be cancelled when booking; a booking starts confirmed or tentative"))
        case .string(let other)?: errors.append(FieldError("status", "must be \"confirmed\" or \"tentative\", not \"\(other)\""))
        case let other?: errors.append(FieldError("status", "must be \"confirmed\" or \"tentative\", not \(other.typeName)"))
        }
        let expiresAt = expiry(input["expires_at"], status: status, now: now, &errors)
        guard errors.isEmpty, let type, let from, let to else { return .failure(ValidationErrors(errors)) }
        return .success(
            Allocation(
                id: id, interval: Interval(from: from.value, to: to.value), allocationType: type, description: description, data: data, status: status,
                expiresAt: status == .tentative ? (expiresAt ?? now + holdTTLMillis) : nil, createdAt: now, updatedAt: now))
    }

    /// An optional string of at most 1000 characters (`description`, `cancel_reason`); null: none.
    private func text(_ value: JSONValue?, _ field: String, _ errors: inout [FieldError]) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?:
            if s.unicodeScalars.count > Self.maxDescriptionLength { errors.append(FieldError(field, "must be at most \(Self.maxDescriptionLength) characters")) }
            return s
        case let other?:
            errors.append(FieldError(field, "must be a string, not \(other.typeName)"))
            return nil
        }
    }

    /// An optional JSON object of at most maxDataBytes, with storable keys; null: none.
    private func object(_ value: JSONValue?, _ field: String, _ errors: inout [FieldError]) -> JSONObject? {
        switch value {
        case nil, .null?: return nil
        case .object(let o)?:
            FieldRules.checkKeys(.object(o), path: field, errors: &errors)
            if JSONWriter.encode(.object(o)).count > maxDataBytes { errors.append(FieldError(field, "is larger than \(maxDataBytes) bytes as JSON")) }
            return o
        case let other?:
            errors.append(FieldError(field, "must be a JSON object, not \(other.typeName)"))
            return nil
        }
    }

    /// Why a PATCH of an allocation is refused: a bad body (422), or a change its state forbids (409).
    enum PatchRefusal: Error, Equatable {
        case invalid([FieldError])
        case state(String)
    }

    /// What a PATCH may set; `resource_id` and `resource_type` (a move) are the route's.
    static let patchFields: Set<String> = [
        "from", "to", "status", "expires_at", "cancel_reason", "allocation_type", "description", "data", "resource_id", "resource_type",
    ]

    /// Applies a JSON merge patch (RFC 7396) to `current`: a present key sets its field, null
    /// removes an optional one (`description`, `data`, `cancel_reason`) or opens an end (`from`,
    /// `to`). The lifecycle: tentative → confirmed or cancelled (or tentative again, to move its
    /// expiry), confirmed → cancelled; cancelled, or a hold past its expiry, changes no more.
    func patch(_ body: JSONValue, _ current: Allocation, now: Int64) -> Result<Allocation, PatchRefusal> {
        guard case .object(let input) = body else { return .failure(.invalid([FieldError("(body)", "must be a JSON object")])) }
        var errors: [FieldError] = []
        for field in input where !Self.patchFields.contains(field.key) {
            errors.append(FieldError(field.key, "is not a field of an allocation"))
        }
        var next = current
        if input["from"] != nil { next.interval.from = nativeEnd(input, "from", &errors)?.value ?? current.interval.from }
        if input["to"] != nil { next.interval.to = nativeEnd(input, "to", &errors)?.value ?? current.interval.to }
        if next.interval.from >= next.interval.to { errors.append(FieldError(input["from"] != nil ? "from" : "to", "must leave from before to")) }
        if input["allocation_type"] != nil {
            next.allocationType =
                FieldRules.requiredString(input["allocation_type"], field: "allocation_type", maxLength: Self.maxTypeLength, errors: &errors) ?? current.allocationType
        }
        if input["description"] != nil { next.description = text(input["description"], "description", &errors) }
        if input["data"] != nil { next.data = object(input["data"], "data", &errors) }
        switch input["status"] {
        case nil: break
        case .string(let s)? where AllocationStatus(rawValue: s) != nil: next.status = AllocationStatus(rawValue: s)!
        case .string(let other)?: errors.append(FieldError("status", "must be \"confirmed\", \"tentative\" or \"cancelled\", not \"\(other)\""))
        case let other?: errors.append(FieldError("status", "must be \"confirmed\", \"tentative\" or \"cancelled\", not \(other.typeName)"))
        }
        if input["expires_at"] != nil {
            next.expiresAt = expiry(input["expires_at"], status: next.status, now: now, &errors) ?? (next.status == .tentative ? current.expiresAt : nil)
        } else if next.status != .tentative {
            next.expiresAt = nil
        }
        if input["cancel_reason"] != nil {
            if next.status != .cancelled, input["cancel_reason"] != .null { errors.append(FieldError("cancel_reason", "applies only with status \"cancelled\"")) }
            next.cancelReason = text(input["cancel_reason"], "cancel_reason", &errors)
        }
        guard errors.isEmpty else { return .failure(.invalid(errors)) }
        let shown = current.effective(at: now)
        if shown.status == .cancelled {
            if current.status == .tentative, let expired = current.expiresAt { return .failure(.state("the hold expired at \(Timestamp.format(expired)); book the slot again")) }
            return .failure(.state("the allocation is cancelled, which is final; book the slot again"))
        }
        if current.status == .confirmed, next.status == .tentative { return .failure(.state("a confirmed allocation cannot become a hold again")) }
        next.updatedAt = max(now, (current.updatedAt ?? 0) + 1)
        return .success(next)
    }

    /// `expires_at`: only on a hold, after `now` and at most HOLD_TTL ahead.
    func expiry(_ value: JSONValue?, status: AllocationStatus, now: Int64, _ errors: inout [FieldError]) -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            guard status == .tentative else { errors.append(FieldError("expires_at", "applies only to a hold (status \"tentative\")")); return nil }
            guard let t = Self.instant(text, offsetOptional: false) else { errors.append(FieldError("expires_at", "must be an RFC 3339 timestamp")); return nil }
            guard t > now else { errors.append(FieldError("expires_at", "must be in the future")); return nil }
            guard t - now <= holdTTLMillis else { errors.append(FieldError("expires_at", "must be at most \(holdTTLMillis / 60_000) minutes ahead (HOLD_TTL)")); return nil }
            return t
        case let other?:
            errors.append(FieldError("expires_at", "must be an RFC 3339 timestamp, not \(other.typeName)"))
            return nil
        }
    }

    /// `from` / `to`: an RFC 3339 timestamp, or null for an open end. The key must be present.
    func nativeEnd(_ input: JSONObject, _ end: String, _ errors: inout [FieldError]) -> (field: String, value: Int64)? {
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
