import HTTPServer

/// Every route of the API, in one table: its template, and per method the handler, where it runs,
/// whether the token applies, and the body it takes. `Allow`, OPTIONS, 405, the access check, body
/// caps, metrics labels and the OpenAPI cross-check all read this table. To add a route, add an
/// entry here and the handler it names.
extension Route {
    static let table: [Route] =
        [
            Route(
                "/books",
                [
                    Endpoint(.get, .storeReadIf(BookRoutes.isBounded)) { app, request, _ throws(Problem) in try app.books.list(request) },
                    Endpoint(.post, .pool, body: .batch) { app, request, _ throws(Problem) in try app.books.create(request) },
                ]),
            Route(
                "/books/{id}",
                [
                    Endpoint(.get, .storeRead) { app, request, match throws(Problem) in try app.books.get(request, id: match[0]) },
                    Endpoint(.put, .pool, body: .documents) { app, request, match throws(Problem) in try app.books.update(request, id: match[0], merge: false) },
                    Endpoint(.patch, .pool, body: .documents) { app, request, match throws(Problem) in try app.books.update(request, id: match[0], merge: true) },
                    Endpoint(.delete, .pool) { app, request, match throws(Problem) in try app.books.delete(request, id: match[0]) },
                ]),
            Route("/healthz", [Endpoint(.get, .inline, access: .open) { _, _, _ throws(Problem) in HealthRoutes.healthz() }]),
            Route("/readyz", [Endpoint(.get, .storeRead, access: .open) { app, _, _ throws(Problem) in try HealthRoutes.readyz(app.store) }]),
            Route("/openapi.json", [Endpoint(.get, .inline, access: .open) { app, _, _ throws(Problem) in try app.openAPIDocument() }]),
            Route("/metrics", [Endpoint(.get, .inline) { app, _, _ throws(Problem) in app.metricsText() }]),
            Route("/resource-kinds", [Endpoint(.get, .inline) { _, _, _ throws(Problem) in InventoryRoutes.kinds() }]),
            Route("/availability", [Endpoint(.get, .pool) { app, request, _ throws(Problem) in try app.inventory.availability(request) }]),
        ]
        + ResourceKind.all.flatMap { kind in
            [
                Route(
                    "/\(kind.collection)",
                    [
                        Endpoint(.get, .pool) { app, request, _ throws(Problem) in try app.inventory.list(kind, request) },
                        Endpoint(.post, .pool, body: .bytes(resourceBodyBytes)) { app, request, _ throws(Problem) in try app.inventory.create(kind, request) },
                    ]),
                Route(
                    "/\(kind.collection)/allocations",
                    [Endpoint(.post, .pool, body: .documents) { app, request, _ throws(Problem) in try app.inventory.allocateAny(kind, request) }]),
                Route(
                    "/\(kind.collection)/allocations.ics",
                    [Endpoint(.get, .pool, access: .feed) { app, request, _ throws(Problem) in try app.inventory.fleetCalendar(kind, request) }]),
                Route(
                    "/\(kind.collection)/{id}",
                    [
                        Endpoint(.get, .storeRead) { app, _, match throws(Problem) in try app.inventory.get(kind, id: match[0]) },
                        Endpoint(.patch, .pool, body: .bytes(resourceBodyBytes)) { app, request, match throws(Problem) in try app.inventory.update(kind, id: match[0], request) },
                        Endpoint(.delete, .pool) { app, _, match throws(Problem) in try app.inventory.delete(kind, id: match[0]) },
                    ]),
                Route(
                    "/\(kind.collection)/{id}/allocations",
                    [
                        Endpoint(.get, .pool) { app, request, match throws(Problem) in try app.inventory.listAllocations(kind, id: match[0], request) },
                        Endpoint(.post, .pool, body: .batch) { app, request, match throws(Problem) in try app.inventory.allocate(kind, id: match[0], request) },
                    ]),
                Route(
                    "/\(kind.collection)/{id}/allocations.ics",
                    [Endpoint(.get, .pool, access: .feed) { app, request, match throws(Problem) in try app.inventory.calendar(kind, id: match[0], request) }]),
                Route(
                    "/\(kind.collection)/{id}/allocations/{allocation_id}",
                    [
                        Endpoint(.get, .storeRead) { app, _, match throws(Problem) in try app.inventory.getAllocation(kind, id: match[0], allocationID: match[1]) },
                        Endpoint(.patch, .pool, body: .documents) { app, request, match throws(Problem) in
                            try app.inventory.changeAllocation(kind, id: match[0], allocationID: match[1], request)
                        },
                        Endpoint(.delete, .pool) { app, _, match throws(Problem) in try app.inventory.deleteAllocation(kind, id: match[0], allocationID: match[1]) },
                    ]),
            ]
        }

    /// A resource body is its name (at most 200 characters, which `\uXXXX` escapes can make 2,400 bytes) and a turnaround.
    static let resourceBodyBytes = 8 * 1024
}

/// One route: a template of literal segments and `{parameters}`, and the methods it answers.
struct Route: Sendable {
    enum Segment: Sendable, Equatable { case literal([UInt8]), parameter(String) }

    let template: String
    let segments: [Segment]
    let endpoints: [Endpoint]
    /// For 405 and OPTIONS: the methods, HEAD wherever GET is, and OPTIONS.
    let allow: String
    /// How errors name each parameter: "book id", "resource id", "allocation id".
    let parameterNames: [String]

    init(_ template: String, _ endpoints: [Endpoint]) {
        self.template = template
        segments = template.split(separator: "/").map { part in
            part.hasPrefix("{") ? .parameter(String(part.dropFirst().dropLast())) : .literal(Array(part.utf8))
        }
        parameterNames = segments.compactMap { segment in
            guard case .parameter(let name) = segment else { return nil }
            if name == "allocation_id" { return "allocation id" }
            return template.hasPrefix("/books") ? "book id" : "resource id"
        }
        self.endpoints = endpoints
        var methods = endpoints.map(\.method.description)
        if let get = methods.firstIndex(of: "GET") { methods.insert("HEAD", at: get + 1) }
        allow = (methods + ["OPTIONS"]).joined(separator: ", ")
    }

    /// The endpoint for `method`; HEAD is answered as GET (the server drops the body).
    func endpoint(_ method: HTTPMethod) -> Endpoint? {
        endpoints.first { $0.method == (method == .head ? .get : method) }
    }
}

/// What one method of a route does.
struct Endpoint: Sendable {
    /// Where the handler runs. The I/O threads must never block, and never run anything whose
    /// cost grows with the data: `.storeRead` is only for lookups by key (O(1) in memory), which
    /// run inline on a store whose reads never block; `.storeReadIf` runs inline only the requests
    /// its test finds bounded (a book page with no filter and at most one sort key: O(log n + page)
    /// on the embedded store), and the rest on the pool; every other list, and every write, runs
    /// on the work pool (`.pool`), so a slow search cannot delay /healthz.
    enum Execution: Sendable {
        case inline, storeRead, pool
        case storeReadIf(@Sendable (HTTPRequest) -> Bool)
    }
    /// `.token`: AccessPolicy decides (writes need the token; reads too with READS_REQUIRE_TOKEN);
    /// `.feed`: the same, and a calendar feed's own feed token opens it too.
    enum Access: Sendable { case open, token, feed }
    /// The body the method takes, checked before any of it is read.
    /// `.batch`: one document or an array of them: 16x MAX_DOCUMENT_BYTES (256 KiB by default),
    /// room for a batch of small documents while a huge body is still refused from its head.
    enum Body: Sendable { case none, documents, batch, bytes(Int) }

    let method: HTTPMethod
    let execution: Execution
    let access: Access
    let body: Body
    let run: @Sendable (App, HTTPRequest, RouteMatch) throws(Problem) -> HTTPResponse

    init(
        _ method: HTTPMethod, _ execution: Execution, access: Access = .token, body: Body = .none,
        _ run: @escaping @Sendable (App, HTTPRequest, RouteMatch) throws(Problem) -> HTTPResponse
    ) {
        self.method = method
        self.execution = execution
        self.access = access
        self.body = body
        self.run = run
    }

    /// The largest body: a small multiple of the largest document (JSON escapes and whitespace make
    /// a body larger than what it stores), a fixed size, or 0.
    func maxBodyBytes(maxDocumentBytes: Int) -> Int {
        switch body {
        case .none: return 0
        case .documents: return 4 * maxDocumentBytes
        case .batch: return 16 * maxDocumentBytes
        case .bytes(let n): return n
        }
    }
}

/// A path matched to a route: which one (its index is its metrics label) and its parameters,
/// percent-decoded.
struct RouteMatch: Sendable {
    let index: Int
    let parameters: [String]
    var route: Route { Route.table[index] }
    subscript(_ n: Int) -> String { parameters[n] }
}

extension Route {
    /// The label of requests that matched no route.
    static let unmatched = table.count

    /// Routes by segment count, so a path is compared only with routes of its own shape.
    private static let bySegmentCount: [[Int]] = {
        var buckets = [[Int]](repeating: [], count: (table.map(\.segments.count).max() ?? 0) + 1)
        for (i, route) in table.enumerated() { buckets[route.segments.count].append(i) }
        return buckets
    }()

    /// First segments the API owns: such a path never falls through to the static site.
    private static let apiFirstSegments: Set<[UInt8]> = Set(
        table.compactMap {
            if case .literal(let bytes)? = $0.segments.first { return bytes } else { return nil }
        })

    /// The route of a path (still percent-encoded), or nil. One scan of the path's bytes finds its
    /// segments; only parameters are decoded (at most 128 bytes, no `/` once decoded). Matching is
    /// exact: no trailing-slash guessing, no case folding.
    static func match(_ path: String) throws(Problem) -> RouteMatch? {
        var path = path
        let found: (index: Int, ranges: [Range<Int>])? = path.withUTF8 { bytes in
            guard let ranges = segmentRanges(bytes), ranges.count < bySegmentCount.count else { return nil }
            candidates: for index in bySegmentCount[ranges.count] {
                var parameters: [Range<Int>] = []
                for (segment, range) in zip(table[index].segments, ranges) {
                    switch segment {
                    case .literal(let literal):
                        guard range.count == literal.count, bytes[range].elementsEqual(literal) else { continue candidates }
                    case .parameter:
                        guard !range.isEmpty else { continue candidates }
                        parameters.append(range)
                    }
                }
                return (index, parameters)
            }
            return nil
        }
        guard let found else { return nil }
        let route = table[found.index]
        var parameters: [String] = []
        let utf8 = path.utf8
        for range in found.ranges {
            let raw = utf8[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)]
            let decoded = try QueryString.decode(Substring(raw), what: route.parameterNames[parameters.count], plusIsSpace: false)
            guard decoded.utf8.count <= 128, !decoded.contains("/") else { return nil }
            parameters.append(decoded)
        }
        return RouteMatch(index: found.index, parameters: parameters)
    }

    /// Paths the API owns: they never fall through to static files.
    static func isAPIPath(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { bytes in
            guard bytes.first == UInt8(ascii: "/") else { return false }
            let end = bytes[1...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            return apiFirstSegments.contains(Array(bytes[1..<end]))
        }
    }

    /// The byte ranges of a path's segments after its leading `/`; nil if it does not start with
    /// one or has more segments than any route.
    private static func segmentRanges(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        guard bytes.first == UInt8(ascii: "/") else { return nil }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(4)
        var start = 1
        for i in 1...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: "/") {
            ranges.append(start..<i)
            if ranges.count >= bySegmentCount.count { return nil }
            start = i + 1
        }
        return ranges
    }
}
