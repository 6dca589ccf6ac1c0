import JSON

/// Where an allocation is in its lifecycle. `confirmed` and an unexpired `tentative` (a hold)
/// block the interval; `cancelled` is kept for history and blocks nothing. An expired hold is shown
/// and treated as cancelled ("hold expired"), by every reader, whenever it is read.
enum AllocationStatus: String, CaseIterable, Sendable {
    case confirmed, tentative, cancelled
}

/// One booking of a resource.
struct Allocation: Equatable, Sendable {
    var id: String
    /// What is shown: [from, to).
    var interval: Interval
    var allocationType: String
    var description: String?
    var data: JSONObject?
    var status: AllocationStatus = .confirmed
    /// A hold's expiry (tentative only).
    var expiresAt: Int64?
    var cancelReason: String?
    /// Milliseconds; nil only on allocations stored before these existed.
    var createdAt: Int64?
    var updatedAt: Int64?
    /// The end the overlap test uses: `to` plus the resource's turnaround when booked or moved.
    var blockedUntil: Int64

    static let expiredReason = "hold expired"

    init(
        id: String, interval: Interval, allocationType: String, description: String? = nil, data: JSONObject? = nil, status: AllocationStatus = .confirmed,
        expiresAt: Int64? = nil, cancelReason: String? = nil, createdAt: Int64? = nil, updatedAt: Int64? = nil, blockedUntil: Int64? = nil
    ) {
        self.id = id
        self.interval = interval
        self.allocationType = allocationType
        self.description = description
        self.data = data
        self.status = status
        self.expiresAt = expiresAt
        self.cancelReason = cancelReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.blockedUntil = blockedUntil ?? interval.to
    }

    /// [from, to + turnaround): what no other blocking allocation may overlap.
    var blocked: Interval { Interval(from: interval.from, to: blockedUntil) }

    /// Whether it holds its slot at `now`.
    func blocks(at now: Int64) -> Bool {
        switch status {
        case .confirmed: return true
        case .tentative: return (expiresAt ?? Timestamp.openEnd) > now
        case .cancelled: return false
        }
    }

    /// As every reader sees it at `now`: a hold past its expiry is cancelled. One the sweep filed
    /// (cancelled, its expiry kept, no reason given) says so too; a PATCH that cancels drops the expiry.
    func effective(at now: Int64) -> Allocation {
        if status == .cancelled, expiresAt != nil, cancelReason == nil {
            var a = self
            a.cancelReason = Self.expiredReason
            return a
        }
        guard status == .tentative, let expiresAt, expiresAt <= now else { return self }
        var a = self
        a.status = .cancelled
        a.cancelReason = Self.expiredReason
        return a
    }

    /// As the API shows it: open ends as null, times in UTC with Z. Call on `effective(at:)`.
    func json(resourceID: String) -> JSONObject {
        var o = JSONObject([JSONField("id", .string(id)), JSONField("resource_id", .string(resourceID))])
        o["from"] = interval.fromJSON.map(JSONValue.string) ?? .null
        o["to"] = interval.toJSON.map(JSONValue.string) ?? .null
        o["status"] = .string(status.rawValue)
        if let expiresAt { o["expires_at"] = .string(Timestamp.format(expiresAt)) }
        if let cancelReason { o["cancel_reason"] = .string(cancelReason) }
        o["allocation_type"] = .string(allocationType)
        if let description { o["description"] = .string(description) }
        if let data { o["data"] = .object(data) }
        o["created_at"] = createdAt.map { .string(Timestamp.format($0)) } ?? .null
        o["updated_at"] = updatedAt.map { .string(Timestamp.format($0)) } ?? .null
        return o
    }

    /// A strong entity tag of the representation (RFC 9110 §8.8.3), as books have.
    func etag(resourceID: String) -> String { ETag.of(JSONWriter.encode(.object(json(resourceID: resourceID)))) }

    /// As stored: from/to as integer milliseconds with sentinels, so one range query covers open
    /// ends; fields at their defaults are left out, so older records read the same.
    var stored: JSONObject {
        var o = JSONObject([JSONField("id", .string(id)), JSONField("from", .int(interval.from)), JSONField("to", .int(interval.to))])
        if blockedUntil != interval.to { o["blocked_until"] = .int(blockedUntil) }
        if status != .confirmed { o["status"] = .string(status.rawValue) }
        if let expiresAt { o["expires_at"] = .int(expiresAt) }
        if let cancelReason { o["cancel_reason"] = .string(cancelReason) }
        o["allocation_type"] = .string(allocationType)
        if let description { o["description"] = .string(description) }
        if let data { o["data"] = .object(data) }
        if let createdAt { o["created_at"] = .int(createdAt) }
        if let updatedAt { o["updated_at"] = .int(updatedAt) }
        return o
    }

    init?(stored o: JSONObject) {
        guard case .string(let id)? = o["id"], let from = o["from"].flatMap(FieldRules.integer),
            let to = o["to"].flatMap(FieldRules.integer), case .string(let type)? = o["allocation_type"]
        else { return nil }
        var status = AllocationStatus.confirmed
        if case .string(let s)? = o["status"] {
            guard let known = AllocationStatus(rawValue: s) else { return nil }
            status = known
        }
        self.init(
            id: id, interval: Interval(from: from, to: to), allocationType: type, description: o["description"]?.stringValue, data: o["data"]?.objectValue,
            status: status, expiresAt: o["expires_at"].flatMap(FieldRules.integer), cancelReason: o["cancel_reason"]?.stringValue,
            createdAt: o["created_at"].flatMap(FieldRules.integer), updatedAt: o["updated_at"].flatMap(FieldRules.integer),
            blockedUntil: o["blocked_until"].flatMap(FieldRules.integer))
    }

    /// `to` plus a turnaround, saturating: an open end stays open.
    static func blockedEnd(_ to: Int64, turnaroundMinutes: Int) -> Int64 {
        let (sum, overflow) = to.addingReportingOverflow(Int64(turnaroundMinutes) * 60_000)
        return overflow || to == Timestamp.openEnd ? Timestamp.openEnd : sum
    }
}
