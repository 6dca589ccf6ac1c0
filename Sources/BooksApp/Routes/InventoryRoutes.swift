import Glibc
import HTTPServer
import JSON

/// /cars, /lorries and /trucks (every ResourceKind), their allocations, and the availability search.
struct InventoryRoutes: Sendable {
    let store: InstrumentedStore
    let parser: AllocationParser
    let maxPageSize: Int
    /// BATCH_LIMIT: most allocations one POST books.
    var batchLimit = 1000
    static let maxNameLength = 200

    // MARK: resources

    func list(_ kind: ResourceKind, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let parameters = try QueryString(request.query)
        let (list, query) = try parseListQuery(parameters, kind: kind)
        let page = try store.listResources(kind, query)
        let preference = CountPreference.of(request.headers["prefer"])  // resources are counted exactly; `none` leaves the count out
        return list.respond(
            JSONWriter.encode(.array(page.items.map { .object($0.json) })), total: preference == CountPreference.none ? nil : page.total, returned: page.items.count,
            path: "/" + kind.collection, parameters: parameters, preference: preference)
    }

    static let listParameters = ListQuery<ResourceSortField>.names + ["available_from", "available_to"]

    func parseListQuery(_ p: QueryString, kind: ResourceKind) throws(Problem) -> (ListQuery<ResourceSortField>, ResourceQuery) {
        try p.requireOnly(Self.listParameters, endpoint: "GET /\(kind.collection)")
        let list = try ListQuery<ResourceSortField>(p, maxPageSize: maxPageSize)
        var query = ResourceQuery(skip: list.skip, limit: list.limit)
        query.sort = list.sort
        query.available = try window(p, "available_from", "available_to")
        return (list, query)
    }

    func create(_ kind: ResourceKind, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: ["application/json"])
        let fields = try Self.resourceFields(from: body, creating: true)
        let resource = Resource(id: BookRoutes.newID(), name: fields.name!, kind: kind, createdAt: Timestamp.now(), turnaroundMinutes: fields.turnaroundMinutes ?? 0)
        try store.createResource(resource)
        var response = Self.json(201, .object(resource.json))
        response.addHeader("Location", "/\(kind.collection)/\(resource.id)")
        return response
    }

    func get(_ kind: ResourceKind, id: String) throws(Problem) -> HTTPResponse {
        Self.json(200, .object(try existing(kind, id).json))
    }

    func update(_ kind: ResourceKind, id: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: ["application/merge-patch+json", "application/json"])
        let fields = try Self.resourceFields(from: body, creating: false)
        guard fields.name != nil || fields.turnaroundMinutes != nil else { return try get(kind, id: id) }
        guard let updated = try store.updateResource(kind, id: id, name: fields.name, turnaroundMinutes: fields.turnaroundMinutes) else {
            throw Problem(404, "no \(kind.type) with id \(id)")
        }
        return Self.json(200, .object(updated.json))
    }

    func delete(_ kind: ResourceKind, id: String) throws(Problem) -> HTTPResponse {
        guard try store.deleteResource(kind, id: id) else { throw Problem(404, "no \(kind.type) with id \(id)") }
        return BookRoutes.envelope(200, "Deleted", id)
    }

    // MARK: allocations

    func allocate(_ kind: ResourceKind, id: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: ["application/json"])
        let now = Timestamp.now()
        if case .array(let items) = body { return try allocateAll(kind, id: id, items, at: now) }
        let allocation: Allocation
        switch parser.parse(body, id: BookRoutes.newID(), now: now) {
        case .success(let a): allocation = a
        case .failure(let errors): throw .validation(errors.list)
        }
        switch try store.allocate(kind, resourceID: id, allocation, at: now) {
        case .resourceNotFound:
            throw Problem(404, "no \(kind.type) with id \(id)")
        case .conflict(let conflicts):
            throw Self.conflict(kind, conflicts)
        case .created:
            var response = Self.allocationResponse(201, allocation, resourceID: id)
            response.addHeader("Location", "/\(kind.collection)/\(id)/allocations/\(allocation.id)")
            return response
        }
    }

    /// An array body: a repeating booking (every Monday 9:00 to 10:00 for ten weeks), all or none.
    /// Every item is validated first (errors name `[index].field`); items that overlap each other
    /// are refused (422); then the store books them in one atomic step, or answers 409 listing
    /// every allocation in the way.
    private func allocateAll(_ kind: ResourceKind, id: String, _ items: [JSONValue], at now: Int64) throws(Problem) -> HTTPResponse {
        guard !items.isEmpty else { throw .validation([FieldError("(body)", "must hold at least one allocation")]) }
        guard items.count <= batchLimit else { throw .validation([FieldError("(body)", "holds \(items.count) allocations; at most \(batchLimit) (BATCH_LIMIT) at once")]) }
        var allocations: [Allocation] = [], errors: [FieldError] = []
        for (i, item) in items.enumerated() {
            switch parser.parse(item, id: BookRoutes.newID(), now: now) {
            case .success(let a): allocations.append(a)
            case .failure(let e): errors += e.list.map { FieldError("[\(i)].\($0.field)", $0.message) }
            }
        }
        if errors.isEmpty {
            let order = allocations.indices.sorted { allocations[$0].interval.from < allocations[$1].interval.from }
            for (a, b) in zip(order, order.dropFirst()) where allocations[a].interval.overlaps(allocations[b].interval) {
                errors.append(FieldError("[\(b)].from", "overlaps item \(a) of the same request"))
            }
        }
        if !errors.isEmpty { throw .validation(errors) }
        switch try store.allocateAll(kind, resourceID: id, allocations, at: now) {
        case .resourceNotFound: throw Problem(404, "no \(kind.type) with id \(id)")
        case .conflict(let conflicts): throw Self.conflict(kind, conflicts)
        case .created:
            var response = Self.json(201, .array(allocations.map { .object($0.json(resourceID: id)) }))
            response.addHeader("Location", "/\(kind.collection)/\(id)/allocations")
            return response
        }
    }

    /// POST /{type}/allocations: books one free resource of the type, chosen by the rule in
    /// AutoAssign.swift; 409 with `earliest_available` when none is free.
    func allocateAny(_ kind: ResourceKind, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: ["application/json"])
        let now = Timestamp.now()
        let allocation: Allocation
        switch parser.parse(body, id: BookRoutes.newID(), now: now) {
        case .success(let a): allocation = a
        case .failure(let errors): throw .validation(errors.list)
        }
        var open: [FieldError] = []
        if allocation.interval.from == Timestamp.openStart { open.append(FieldError("from", "must be a time: booking any free \(kind.type) needs a bounded interval")) }
        if allocation.interval.to == Timestamp.openEnd { open.append(FieldError("to", "must be a time: booking any free \(kind.type) needs a bounded interval")) }
        if !open.isEmpty { throw .validation(open) }
        switch try store.autoAssign(kind, allocation, at: now) {
        case .booked(let resource):
            var response = Self.allocationResponse(201, allocation, resourceID: resource.id)
            response.addHeader("Location", "/\(kind.collection)/\(resource.id)/allocations/\(allocation.id)")
            return response
        case .noneFree(let earliest):
            var problem = Problem(409, "no \(kind.type) is free for that interval")
            var next: JSONValue = .null
            if let earliest {
                let duration = allocation.interval.to - allocation.interval.from
                next = .object(
                    JSONObject([
                        JSONField("from", .string(Timestamp.format(earliest.start))), JSONField("to", .string(Timestamp.format(earliest.start + duration))),
                        JSONField("resource", .object(Self.summary(earliest.resource))),
                    ]))
                problem.detail += "; the earliest start for the same duration is \(Timestamp.format(earliest.start)), on \(earliest.resource.name)"
            } else {
                problem.detail += "; none is free for the same duration within 90 days of its start"
            }
            problem.extensions = [JSONField("earliest_available", next)]
            throw problem
        }
    }

    static func summary(_ resource: Resource) -> JSONObject {
        JSONObject([JSONField("id", .string(resource.id)), JSONField("name", .string(resource.name)), JSONField("type", .string(resource.kind.type))])
    }

    /// 409 naming every allocation in the way.
    static func conflict(_ kind: ResourceKind, _ conflicts: [Allocation]) -> Problem {
        var problem = Problem(
            409, "the \(kind.type) is already allocated for part of that interval (\(conflicts.count) conflicting allocation\(conflicts.count == 1 ? "" : "s"))")
        problem.extensions = [
            JSONField(
                "conflicts",
                .array(
                    conflicts.map { a in
                        .object(
                            JSONObject([
                                JSONField("id", .string(a.id)), JSONField("from", a.interval.fromJSON.map(JSONValue.string) ?? .null),
                                JSONField("to", a.interval.toJSON.map(JSONValue.string) ?? .null), JSONField("status", .string(a.status.rawValue)),
                            ]))
                    }))
        ]
        return problem
    }

    /// An allocation with its strong ETag.
    static func allocationResponse(_ status: Int, _ allocation: Allocation, resourceID: String) -> HTTPResponse {
        let body = JSONWriter.encode(.object(allocation.json(resourceID: resourceID)))
        var response = HTTPResponse(status: status, contentType: "application/json", body: body)
        response.addHeader("ETag", ETag.of(body))
        return response
    }

    /// Sorted by start; `from` and `to` keep those overlapping that window, `status` those of
    /// the listed statuses (confirmed and tentative unless it says otherwise).
    func listAllocations(_ kind: ResourceKind, id: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let parameters = try QueryString(request.query)
        try parameters.requireOnly(["from", "to", "status"], endpoint: "GET /\(kind.collection)/{id}/allocations")
        let window = try self.window(parameters, "from", "to")
        let statuses = try Self.statuses(parameters)
        guard let stored = try store.allocations(kind, resourceID: id, overlapping: window) else { throw Problem(404, "no \(kind.type) with id \(id)") }
        let now = Timestamp.now()
        let shown = stored.map { $0.effective(at: now) }.filter { statuses.contains($0.status) }
        var response = Self.json(200, .array(shown.map { .object($0.json(resourceID: id)) }))
        response.addHeader("X-Total-Count", String(shown.count))
        return response
    }

    // MARK: calendar feeds

    /// GET /{type}/{id}/allocations.ics: the resource's allocations as RFC 5545 iCalendar.
    func calendar(_ kind: ResourceKind, id: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let (window, statuses) = try feedQuery(request, endpoint: "GET /\(kind.collection)/{id}/allocations.ics")
        guard let resource = try store.resource(kind, id: id) else { throw Problem(404, "no \(kind.type) with id \(id)") }
        guard let stored = try store.allocations(kind, resourceID: id, overlapping: window.requested) else { throw Problem(404, "no \(kind.type) with id \(id)") }
        let now = Timestamp.now()
        let events = stored.map { (resource, $0.effective(at: now)) }.filter { statuses.contains($0.1.status) }
        return Self.calendarResponse(CalendarFeed.render(name: "\(resource.name) (\(kind.type))", events: events, window: window.shown))
    }

    /// GET /{type}/allocations.ics: every allocation of the type's resources, in one calendar.
    func fleetCalendar(_ kind: ResourceKind, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let (window, statuses) = try feedQuery(request, endpoint: "GET /\(kind.collection)/allocations.ics")
        let now = Timestamp.now()
        var events: [(resource: Resource, allocation: Allocation)] = []
        for (resource, allocations) in try store.allocations(of: kind, overlapping: window.requested) {
            for a in allocations {
                let shown = a.effective(at: now)
                if statuses.contains(shown.status) { events.append((resource, shown)) }
            }
        }
        return Self.calendarResponse(CalendarFeed.render(name: "All \(kind.collection)", events: events, window: window.shown))
    }

    /// A feed's window (the default unless from/to say otherwise; open ends are cut to what is
    /// shown) and statuses (all three by default, so subscribers see cancellations).
    private func feedQuery(_ request: HTTPRequest, endpoint: String) throws(Problem) -> (window: (requested: Interval, shown: Interval), statuses: Set<AllocationStatus>) {
        let p = try QueryString(request.query)
        try p.requireOnly(["from", "to", "status", "feed_token"], endpoint: endpoint)
        var shown = CalendarFeed.defaultWindow(now: Timestamp.now())
        if let given = try window(p, "from", "to") {
            if given.from != Timestamp.openStart { shown.from = given.from }
            if given.to != Timestamp.openEnd { shown.to = given.to }
        }
        let statuses: Set<AllocationStatus> = try p.value("status") == nil ? Set(AllocationStatus.allCases) : try Self.statuses(p)
        return ((shown, shown), statuses)
    }

    static func calendarResponse(_ body: [UInt8]) -> HTTPResponse {
        var response = HTTPResponse(status: 200, contentType: "text/calendar; charset=utf-8", body: body)
        response.addHeader("ETag", ETag.of(body))
        response.addHeader("Cache-Control", "private, max-age=\(CalendarFeed.refreshMinutes * 60)")
        return response
    }

    /// `status=confirmed,tentative,cancelled` (any of them); without it, the two that block.
    static func statuses(_ p: QueryString) throws(Problem) -> Set<AllocationStatus> {
        guard let text = try p.value("status") else { return [.confirmed, .tentative] }
        var set: Set<AllocationStatus> = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let status = AllocationStatus(rawValue: String(name)) else {
                throw .badParameter("status", "names an unknown status \"\(name)\"; the statuses: confirmed, tentative, cancelled")
            }
            set.insert(status)
        }
        return set
    }

    func getAllocation(_ kind: ResourceKind, id: String, allocationID: String) throws(Problem) -> HTTPResponse {
        let current = try existingAllocation(kind, id, allocationID)
        return Self.allocationResponse(200, current.effective(at: Timestamp.now()), resourceID: id)
    }

    /// PATCH: a JSON merge patch of from, to, status, expires_at, cancel_reason, allocation_type,
    /// description or data, decided against the current allocation and applied only if it is still
    /// that one (else decided again); `If-Match` makes it conditional on the client's copy.
    func changeAllocation(_ kind: ResourceKind, id: String, allocationID: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: ["application/merge-patch+json", "application/json"])
        let target = try Self.moveTarget(body, from: (kind, id))
        var current = try existingAllocation(kind, id, allocationID)
        for _ in 0..<8 {
            let now = Timestamp.now()
            // A bad body is 422 whatever the precondition says; then If-Match (412); then the state (409).
            let decided = parser.patch(body, current, now: now)
            if case .failure(.invalid(let errors)) = decided { throw .validation(errors) }
            if let ifMatch = request.headers["if-match"], !ETag.matches(ifMatch, current: current.effective(at: now).etag(resourceID: id)) {
                throw Problem(412, "the allocation has changed since the ETag in If-Match was issued")
            }
            let next: Allocation
            switch decided {
            case .success(let a): next = a
            case .failure(.invalid(let errors)): throw .validation(errors)
            case .failure(.state(let reason)): throw Problem(409, reason)
            }
            let outcome =
                if let target {
                    try store.moveAllocation(kind, resourceID: id, expected: current, to: next, target: target, at: now)
                } else {
                    try store.changeAllocation(kind, resourceID: id, expected: current, to: next, at: now)
                }
            switch outcome {
            case .changed(let changed):
                let owner = target ?? (kind, id)
                var response = Self.allocationResponse(200, changed, resourceID: owner.id)
                if target != nil { response.addHeader("Location", "/\(owner.kind.collection)/\(owner.id)/allocations/\(changed.id)") }
                return response
            case .targetNotFound: throw Problem(404, "no \(target?.kind.type ?? kind.type) with id \(target?.id ?? id) to move the allocation to")
            case .resourceNotFound: throw Problem(404, "no \(kind.type) with id \(id)")
            case .allocationNotFound: throw Problem(404, "no allocation \(allocationID) on \(kind.type) \(id)")
            case .conflict(let conflicts): throw Self.conflict(kind, conflicts)
            case .stale(let newer): current = newer
            }
        }
        throw Problem(503, "the allocation kept changing under concurrent writes; try again")
    }

    /// A move's target: `resource_id` (and `resource_type`, else the same type); nil when the
    /// body names none, or names the allocation's own resource.
    static func moveTarget(_ body: JSONValue, from source: (kind: ResourceKind, id: String)) throws(Problem) -> (kind: ResourceKind, id: String)? {
        guard case .object(let input) = body, input["resource_id"] != nil || input["resource_type"] != nil else { return nil }
        var errors: [FieldError] = []
        var kind = source.kind
        switch input["resource_type"] {
        case nil: break
        case .string(let type)? where ResourceKind.all.contains(where: { $0.type == type }): kind = ResourceKind.all.first { $0.type == type }!
        case let other?:
            errors.append(
                FieldError(
                    "resource_type", "must be one of \(ResourceKind.all.map(\.type).joined(separator: ", ")), not \(other.stringValue.map { "\"\($0)\"" } ?? other.typeName)"))
        }
        var id = source.id
        switch input["resource_id"] {
        case nil: if kind != source.kind { errors.append(FieldError("resource_id", "is required with resource_type")) }
        case .string(let s)? where !s.isEmpty && s.unicodeScalars.count <= 128: id = s  // as the OpenAPI's maxLength counts
        case .string?: errors.append(FieldError("resource_id", "must be 1 to 128 characters"))
        case let other?: errors.append(FieldError("resource_id", "must be a resource's id, not \(other.typeName)"))
        }
        if !errors.isEmpty { throw .validation(errors) }
        return kind == source.kind && id == source.id ? nil : (kind, id)
    }

    private func existingAllocation(_ kind: ResourceKind, _ id: String, _ allocationID: String) throws(Problem) -> Allocation {
        guard let lookup = try store.allocation(kind, resourceID: id, allocationID: allocationID) else { throw Problem(404, "no \(kind.type) with id \(id)") }
        guard let allocation = lookup.allocation else { throw Problem(404, "no allocation \(allocationID) on \(kind.type) \(id)") }
        return allocation
    }

    func deleteAllocation(_ kind: ResourceKind, id: String, allocationID: String) throws(Problem) -> HTTPResponse {
        switch try store.deleteAllocation(kind, resourceID: id, allocationID: allocationID) {
        case nil: throw Problem(404, "no \(kind.type) with id \(id)")
        case false?: throw Problem(404, "no allocation \(allocationID) on \(kind.type) \(id)")
        case true?: return BookRoutes.envelope(200, "Deleted", allocationID)
        }
    }

    // MARK: helpers

    private func existing(_ kind: ResourceKind, _ id: String) throws(Problem) -> Resource {
        guard let resource = try store.resource(kind, id: id) else { throw Problem(404, "no \(kind.type) with id \(id)") }
        return resource
    }

    /// A window from two optional RFC 3339 parameters; a missing bound is open, and a window whose
    /// end is not after its start is empty (every resource is free in it; no allocation is in it).
    private func window(_ p: QueryString, _ fromName: String, _ toName: String) throws(Problem) -> Interval? {
        let from = try p.value(fromName), to = try p.value(toName)
        guard from != nil || to != nil else { return nil }
        var interval = Interval(from: Timestamp.openStart, to: Timestamp.openEnd)
        if let from {
            guard let t = AllocationParser.instant(from, offsetOptional: false) else { throw .badParameter(fromName, "must be an RFC 3339 timestamp such as 2026-01-31T09:00:00Z") }
            interval.from = t
        }
        if let to {
            guard let t = AllocationParser.instant(to, offsetOptional: false) else { throw .badParameter(toName, "must be an RFC 3339 timestamp such as 2026-01-31T09:00:00Z") }
            interval.to = t
        }
        return interval  // an empty or reversed window is empty: nothing overlaps it
    }

    /// A resource body: `name` (a non-blank string of at most 200 characters; required to
    /// create) and `turnaround_minutes` (0 to 10080), and nothing else.
    static func resourceFields(from body: JSONValue, creating: Bool) throws(Problem) -> (name: String?, turnaroundMinutes: Int?) {
        guard case .object(let input) = body else { throw .validation([FieldError("(body)", "must be a JSON object")]) }
        var errors: [FieldError] = []
        for field in input where field.key != "name" && field.key != "turnaround_minutes" {
            errors.append(FieldError(field.key, "is not a field of a resource; name and turnaround_minutes can be set"))
        }
        var name: String?
        if input["name"] != nil || creating {
            if input["name"] == .null {
                errors.append(FieldError("name", "is required and cannot be removed"))
            } else {
                name = FieldRules.requiredString(input["name"], field: "name", maxLength: maxNameLength, errors: &errors)
            }
        }
        var turnaround: Int?
        switch input["turnaround_minutes"] {
        case nil: break
        case .null? where !creating: turnaround = 0  // merge patch: null resets it
        case let value? where FieldRules.integer(value) != nil:  // 30 or 30.0: JSON Schema's integer
            let n = FieldRules.integer(value)!
            if (0...Int64(Resource.maxTurnaroundMinutes)).contains(n) {
                turnaround = Int(n)
            } else {
                errors.append(FieldError("turnaround_minutes", "must be from 0 to \(Resource.maxTurnaroundMinutes) minutes (a week), not \(n)"))
            }
        case let other?:
            errors.append(FieldError("turnaround_minutes", "must be a whole number of minutes from 0 to \(Resource.maxTurnaroundMinutes), not \(other.typeName)"))
        }
        if !errors.isEmpty { throw .validation(errors) }
        return (name, turnaround)
    }

    /// GET /resource-kinds: the kinds of resource this server has, so clients (the SPA's tabs)
    /// follow the server instead of keeping a list of their own.
    // MARK: the fleet's free/busy

    /// GET /availability: per resource of the chosen types, its busy intervals in the window, paged
    /// over resources (types in /resource-kinds order, then name, then id): a timeline's one read.
    func availability(_ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let p = try QueryString(request.query)
        try p.requireOnly(["types", "from", "to", "skip", "limit", "status", "cursor"], endpoint: "GET /availability")
        var list = try ListQuery<ResourceSortField>(p, maxPageSize: maxPageSize)
        if try p.value("limit") == nil { list.limit = min(Self.availabilityPage, maxPageSize) }
        var kinds = ResourceKind.all
        if let text = try p.value("types") {
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for name in names where !ResourceKind.all.contains(where: { $0.type == name }) {
                throw .badParameter("types", "names an unknown type \"\(name)\"; the types: \(ResourceKind.all.map(\.type).joined(separator: ", "))")
            }
            kinds = ResourceKind.all.filter { names.contains($0.type) }
        }
        let window = try self.window(p, "from", "to") ?? Interval(from: Timestamp.openStart, to: Timestamp.openEnd)
        let statuses = try Self.statuses(p)
        let now = Timestamp.now()
        // Keyset paging: `cursor=` (empty) starts it, each full page links to the next by cursor.
        let cursorText = try p.value("cursor")
        var after: FleetCursor?
        if let cursorText {
            if try p.value("skip") != nil { throw .badParameter("cursor", "cannot be combined with skip; follow the Link rel=\"next\" cursors instead") }
            if !cursorText.isEmpty {
                after = try FleetCursor(token: cursorText)
                if !kinds.contains(after!.kind) { throw .badParameter("cursor", "belongs to a list of other types; start again from cursor= with these types") }
            }
        }
        let page = try store.freeBusy(kinds, window: window, skip: list.skip, limit: list.limit, after: after, at: now)
        let rows: [JSONValue] = page.rows.map { row in
            .object(Self.freeBusyRow(row.resource, row.busy.map { $0.effective(at: now) }.filter { statuses.contains($0.status) }))
        }
        let body = JSONWriter.encode(.array(rows))
        guard cursorText != nil else { return list.respond(body, total: page.total, returned: rows.count, path: "/availability", parameters: p, preference: nil) }
        let next = rows.count >= list.limit ? page.rows.last.map { FleetCursor(kind: $0.resource.kind, name: $0.resource.name, id: $0.resource.id).token } : nil
        return list.respondKeyset(body, total: page.total, next: next, path: "/availability", parameters: p, preference: nil)
    }

    /// `{resource: {id, name, type}, busy: [{from, to, allocation_id, status, allocation_type}]}`.
    static func freeBusyRow(_ resource: Resource, _ busy: [Allocation]) -> JSONObject {
        let summary = Self.summary(resource)
        let intervals: [JSONValue] = busy.map { a in
            .object(
                JSONObject([
                    JSONField("from", a.interval.fromJSON.map(JSONValue.string) ?? .null), JSONField("to", a.interval.toJSON.map(JSONValue.string) ?? .null),
                    JSONField("allocation_id", .string(a.id)), JSONField("status", .string(a.status.rawValue)), JSONField("allocation_type", .string(a.allocationType)),
                ]))
        }
        return JSONObject([JSONField("resource", .object(summary)), JSONField("busy", .array(intervals))])
    }

    /// A timeline page: 50 rows unless `limit` says otherwise.
    static let availabilityPage = 50

    static func kinds() -> HTTPResponse {
        json(
            200,
            .array(
                ResourceKind.all.map { kind in
                    .object(JSONObject([JSONField("collection", .string(kind.collection)), JSONField("type", .string(kind.type))]))
                }))
    }

    static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: JSONWriter.encode(value))
    }

}
