import Glibc
import HTTPServer
import JSON

/// /cars, /lorries and /trucks (every ResourceKind), their allocations, and the availability search.
struct InventoryRoutes: Sendable {
    let store: InstrumentedStore
    let parser: AllocationParser
    let maxPageSize: Int
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
        let name = try Self.name(from: body, required: true)!
        let resource = Resource(id: BookRoutes.newID(), name: name, kind: kind, createdAt: Self.nowMillis())
        try store.createResource(resource)
        var response = Self.json(201, .object(resource.json))
        response.addHeader("Location", "/\(kind.collection)/\(resource.id)")
        return response
    }

    func get(_ kind: ResourceKind, id: String) throws(Problem) -> HTTPResponse {
        Self.json(200, .object(try existing(kind, id).json))
    }

    func rename(_ kind: ResourceKind, id: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: ["application/merge-patch+json", "application/json"])
        guard let name = try Self.name(from: body, required: false) else { return try get(kind, id: id) }
        guard let renamed = try store.renameResource(kind, id: id, name: name) else {
            throw Problem(404, "no \(kind.type) with id \(id)")
        }
        return Self.json(200, .object(renamed.json))
    }

    func delete(_ kind: ResourceKind, id: String) throws(Problem) -> HTTPResponse {
        guard try store.deleteResource(kind, id: id) else { throw Problem(404, "no \(kind.type) with id \(id)") }
        return BookRoutes.envelope(200, "Deleted", id)
    }

    // MARK: allocations

    func allocate(_ kind: ResourceKind, id: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: ["application/json"])
        let allocation: Allocation
        switch parser.parse(body, id: BookRoutes.newID()) {
        case .success(let a): allocation = a
        case .failure(let errors): throw .validation(errors.list)
        }
        switch try store.allocate(kind, resourceID: id, allocation) {
        case .resourceNotFound:
            throw Problem(404, "no \(kind.type) with id \(id)")
        case .conflict(let conflicts):
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
                                    JSONField("to", a.interval.toJSON.map(JSONValue.string) ?? .null),
                                ]))
                        }))
            ]
            throw problem
        case .created:
            var response = Self.json(201, .object(allocation.json))
            response.addHeader("Location", "/\(kind.collection)/\(id)/allocations/\(allocation.id)")
            return response
        }
    }

    /// Sorted by start; `from` and `to` keep those overlapping that window.
    func listAllocations(_ kind: ResourceKind, id: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let parameters = try QueryString(request.query)
        try parameters.requireOnly(["from", "to"], endpoint: "GET /\(kind.collection)/{id}/allocations")
        let window = try self.window(parameters, "from", "to")
        guard let allocations = try store.allocations(kind, resourceID: id, overlapping: window) else { throw Problem(404, "no \(kind.type) with id \(id)") }
        var response = Self.json(200, .array(allocations.map { .object($0.json) }))
        response.addHeader("X-Total-Count", String(allocations.count))
        return response
    }

    func getAllocation(_ kind: ResourceKind, id: String, allocationID: String) throws(Problem) -> HTTPResponse {
        guard let allocation = try existing(kind, id).allocations.first(where: { $0.id == allocationID }) else {
            throw Problem(404, "no allocation \(allocationID) on \(kind.type) \(id)")
        }
        return Self.json(200, .object(allocation.json))
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

    /// The `name` of a resource body: a non-blank string of at most 200 characters, and nothing else.
    static func name(from body: JSONValue, required: Bool) throws(Problem) -> String? {
        guard case .object(let input) = body else { throw .validation([FieldError("(body)", "must be a JSON object")]) }
        var errors: [FieldError] = []
        for field in input where field.key != "name" { errors.append(FieldError(field.key, "is not a field of a resource; only name can be set")) }
        var name: String?
        if input["name"] != nil || required {
            if input["name"] == .null {
                errors.append(FieldError("name", "is required and cannot be removed"))
            } else {
                name = FieldRules.requiredString(input["name"], field: "name", maxLength: maxNameLength, errors: &errors)
            }
        }
        if !errors.isEmpty { throw .validation(errors) }
        return name
    }

    /// GET /resource-kinds: the kinds of resource this server has, so clients (the SPA's tabs)
    /// follow the server instead of keeping a list of their own.
    // MARK: the fleet's free/busy

    /// GET /availability: per resource of the chosen types, its busy intervals in the window, paged
    /// over resources (types in /resource-kinds order, then name, then id): a timeline's one read.
    func availability(_ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let p = try QueryString(request.query)
        try p.requireOnly(["types", "from", "to", "skip", "limit"], endpoint: "GET /availability")
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
        let page = try store.freeBusy(kinds, window: window, skip: list.skip, limit: list.limit)
        let rows: [JSONValue] = page.rows.map { row in .object(Self.freeBusyRow(row.resource, row.busy)) }
        return list.respond(JSONWriter.encode(.array(rows)), total: page.total, returned: rows.count, path: "/availability", parameters: p, preference: nil)
    }

    /// `{resource: {id, name, type}, busy: [{from, to, allocation_id, status, allocation_type}]}`.
    static func freeBusyRow(_ resource: Resource, _ busy: [Allocation]) -> JSONObject {
        let summary = JSONObject([JSONField("id", .string(resource.id)), JSONField("name", .string(resource.name)), JSONField("type", .string(resource.kind.type))])
        let intervals: [JSONValue] = busy.map { a in
            .object(
                JSONObject([
                    JSONField("from", a.interval.fromJSON.map(JSONValue.string) ?? .null), JSONField("to", a.interval.toJSON.map(JSONValue.string) ?? .null),
                    JSONField("allocation_id", .string(a.id)), JSONField("status", .string("confirmed")), JSONField("allocation_type", .string(a.allocationType)),
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

    static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
    }
}
