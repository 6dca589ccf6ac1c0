import HTTPServer
import JSON

/// The HTTP handler: routes a request, runs it inline when the store never blocks and on the
/// work pool when it may, and renders every failure as problem+json.
final class App: HTTPHandler {
    let store: InstrumentedStore
    /// Writes (and anything not a read) wait for fsync or MongoDB here, at normal priority.
    let pool: WorkPool
    /// Reads that may be heavy (lists, searches), at a lower CPU priority (WorkPool's niceness).
    let readPool: WorkPool
    let cors: CORSPolicy
    let access: AccessPolicy
    let books: BookRoutes
    let inventory: InventoryRoutes
    let log: AppLog
    let metrics: Metrics

    let staticSite: StaticSite?
    let openAPI: [UInt8]?
    let maxDocumentBytes: Int

    init(store: Store, pool: WorkPool, readPool: WorkPool? = nil, settings: Settings, log: AppLog, metrics: Metrics, staticSite: StaticSite?, openAPI: [UInt8]?) {
        let store = InstrumentedStore(store, metrics: metrics.store)
        self.store = store
        self.metrics = metrics
        self.pool = pool
        self.readPool = readPool ?? pool
        self.log = log
        self.staticSite = staticSite
        self.openAPI = openAPI
        maxDocumentBytes = settings.maxDocumentBytes
        cors = CORSPolicy(settings.corsOrigins)
        access = AccessPolicy(token: settings.apiToken, readsRequireToken: settings.readsRequireToken)
        books = BookRoutes(store: store, validator: BookValidator(maxDocumentBytes: settings.maxDocumentBytes), maxPageSize: settings.maxPageSize, batchLimit: settings.batchLimit)
        inventory = InventoryRoutes(
            store: store, parser: AllocationParser(maxDataBytes: settings.maxDocumentBytes, holdTTLMillis: Int64(settings.holdTTLMinutes) * 60_000),
            maxPageSize: settings.maxPageSize)
    }

    /// Routes a request through `Route.table` and runs its endpoint inline or on the work pool.
    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult {
        metrics.requestStarted()  // every path below ends in `finish`, which counts it done
        let match: RouteMatch
        do throws(Problem) {
            guard let matched = try Route.match(request.path) else { return staticFile(request, context) }
            match = matched
        } catch {
            return .respond(finish(error.response(requestID: request.requestID, path: request.path), request))
        }
        let route = match.route
        if request.method == .options { return .respond(finish(cors.options(request, allow: route.allow), request, route: match.index)) }
        guard let endpoint = route.endpoint(request.method) else {
            let problem = Problem(405, "\(request.method) is not allowed on \(route.template)", headers: [("Allow", route.allow)])
            return .respond(finish(problem.response(requestID: request.requestID, path: request.path), request, route: match.index))
        }
        if endpoint.access != .open, let denied = access.check(request, feed: endpoint.access == .feed) {
            return .respond(finish(denied.response(requestID: request.requestID, path: request.path), request, route: match.index))
        }
        let blocking: Bool
        switch endpoint.execution {
        case .inline: blocking = false
        case .storeRead: blocking = !store.readsAreNonBlocking
        case .storeReadIf(let isBounded): blocking = !store.readsAreNonBlocking || !isBounded(request)
        case .pool: blocking = true
        }
        return run(request, context, blocking: blocking, route: match.index) { r throws(Problem) in try endpoint.run(self, r, match) }
    }

    /// A path no route owns: a file of the static site (GET and HEAD), or 404.
    private func staticFile(_ request: HTTPRequest, _ context: ResponseContext) -> HandlerResult {
        if let staticSite, !Route.isAPIPath(request.path), request.method == .get || request.method == .head,
            let file = staticSite.lookup(request.path) ?? staticSite.fallback(for: request.path)
        {
            if let body = file.body { return .respond(finish(StaticResponse.make(file, body: body, request: request), request)) }
            return run(request, context, blocking: true, route: Route.unmatched) { r throws(Problem) in  // a large file: read on the pool
                guard let body = StaticSite.read(file.diskPath) else { throw Problem(404, "no such resource: \(r.path)") }
                return StaticResponse.make(file, body: body, request: r)
            }
        }
        return .respond(finish(Problem(404, "no such resource: \(request.path)").response(requestID: request.requestID, path: request.path), request))
    }

    func openAPIDocument() throws(Problem) -> HTTPResponse {
        guard let openAPI else { throw Problem(404, "the OpenAPI document is not installed") }
        return HTTPResponse(status: 200, contentType: "application/json", body: openAPI)
    }

    func metricsText() -> HTTPResponse {
        HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
    }

    /// Before a body is read: the route must exist, the token must be valid, and the body must
    /// fit what the route stores. A refusal is answered without reading the body, and the
    /// connection closes (so `Expect: 100-continue` gets the refusal, never `100 Continue`).
    func admit(_ request: HTTPRequest) -> Admission {
        let refusal: Problem
        var routeIndex = Route.unmatched
        do throws(Problem) {
            if let match = try Route.match(request.path) {
                routeIndex = match.index
                let route = match.route
                if request.method == .options {
                    refusal = Problem(413, "OPTIONS \(route.template) takes no request body")
                } else if let endpoint = route.endpoint(request.method) {
                    if endpoint.access != .open, let denied = access.check(request, feed: endpoint.access == .feed) {
                        refusal = denied
                    } else {
                        let cap = endpoint.maxBodyBytes(maxDocumentBytes: maxDocumentBytes)
                        if cap > 0 { return .proceed(maxBodyBytes: cap) }
                        refusal = Problem(413, "\(request.method) \(route.template) takes no request body")
                    }
                } else {
                    refusal = Problem(405, "\(request.method) is not allowed on \(route.template)", headers: [("Allow", route.allow)])
                }
            } else {
                refusal = Problem(404, "no such resource: \(request.path)")
            }
        } catch {
            refusal = error
        }
        metrics.requestStarted()
        return .reject(finish(refusal.response(requestID: request.requestID, path: request.path), request, route: routeIndex))
    }

    /// A request the HTTP layer refused (a bad head, or a body over its cap, badly framed or too
    /// slow): rendered and decorated like every other answer, so a browser can read the 413.
    func failed(_ error: HTTPParseError, request: HTTPRequest?, requestID: String) -> HTTPResponse {
        metrics.requestStarted()
        let headers = error.retryAfter.map { [("Retry-After", String($0))] } ?? []
        return finish(Problem(error.status, error.reason, headers: headers).response(requestID: requestID, path: request?.path ?? "-"), request)
    }

    /// Runs a route inline, or on the work pool when it may block. A full or slow queue answers 503.
    private func run(
        _ request: HTTPRequest, _ context: ResponseContext, blocking: Bool, route: Int,
        _ work: @escaping @Sendable (HTTPRequest) throws(Problem) -> HTTPResponse
    ) -> HandlerResult {
        guard blocking else { return .respond(execute(request, route: route, work)) }
        let busy = Problem(503, "the server is busy; try again shortly", headers: [("Retry-After", "1")])
        let target = request.method == .get || request.method == .head ? readPool : pool
        let accepted = target.submit(
            {
                context.complete(self.execute(request, route: route, work))
            },
            expired: {
                context.complete(self.finish(busy.response(requestID: request.requestID, path: request.path), request, route: route))
            })
        return accepted ? .deferred : .respond(finish(busy.response(requestID: request.requestID, path: request.path), request, route: route))
    }

    private func execute(_ request: HTTPRequest, route: Int, _ work: (HTTPRequest) throws(Problem) -> HTTPResponse) -> HTTPResponse {
        do throws(Problem) {
            return finish(try work(request), request, route: route)
        } catch {
            if error.status >= 500 { log.error("request \(request.requestID) \(request.method) \(request.path): \(error.detail)") }
            return finish(error.response(requestID: request.requestID, path: request.path), request, route: route)
        }
    }

    /// Every answer passes here: counted, decorated with CORS headers, and labelled with its route
    /// for the metrics (so the path is never scanned again).
    private func finish(_ response: HTTPResponse, _ request: HTTPRequest?, route: Int = Route.unmatched) -> HTTPResponse {
        metrics.requestFinished()
        var response = response
        response.routeIndex = route
        cors.decorate(&response, origin: request?.headers["origin"])
        return response
    }
}
