import HTTPServer
import JSON

/// The HTTP handler: routes a request, runs it inline when the store never blocks and on the
/// work pool when it may, and renders every failure as problem+json.
final class App: HTTPHandler {
    let store: Store
    let pool: WorkPool
    let cors: CORSPolicy
    let access: AccessPolicy
    let books: BookRoutes
    let inventory: InventoryRoutes
    let log: AppLog
    let metrics: Metrics

    let staticSite: StaticSite?
    let openAPI: [UInt8]?
    let maxDocumentBytes: Int

    init(store: Store, pool: WorkPool, settings: Settings, log: AppLog, metrics: Metrics, staticSite: StaticSite?, openAPI: [UInt8]?) {
        self.store = store
        self.metrics = metrics
        self.pool = pool
        self.log = log
        self.staticSite = staticSite
        self.openAPI = openAPI
        maxDocumentBytes = settings.maxDocumentBytes
        cors = CORSPolicy(settings.corsOrigins)
        access = AccessPolicy(token: settings.apiToken, readsRequireToken: settings.readsRequireToken)
        books = BookRoutes(store: store, validator: BookValidator(maxDocumentBytes: settings.maxDocumentBytes), maxPageSize: settings.maxPageSize,
                          calls: StoreCalls(metrics: metrics.store))
        inventory = InventoryRoutes(store: store, parser: AllocationParser(maxDataBytes: settings.maxDocumentBytes), maxPageSize: settings.maxPageSize,
                                    calls: StoreCalls(metrics: metrics.store))
    }

    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult {
        metrics.requestStarted()  // every path below ends in `finish`, which counts it done
        let route: Route
        do throws(Problem) {
            guard let matched = try Route.match(request.path) else {
                if let staticSite, !Route.isAPIPath(request.path), request.method == .get || request.method == .head,
                   let file = staticSite.lookup(request.path) ?? staticSite.fallback(for: request.path) {
                    if let body = file.body { return .respond(finish(StaticResponse.make(file, body: body, request: request), request)) }
                    return run(request, context, blocking: true) { r throws(Problem) in  // a large file: read on the pool
                        guard let body = StaticSite.read(file.diskPath) else { throw Problem(404, "no such resource: \(r.path)") }
                        return StaticResponse.make(file, body: body, request: r)
                    }
                }
                throw Problem(404, "no such resource: \(request.path)")
            }
            route = matched
        } catch {
            return .respond(finish(error.response(requestID: request.requestID, path: request.path), request))
        }
        if request.method == .options { return .respond(finish(cors.options(request, allow: route.allow), request)) }
        if route.isGuarded, let denied = access.check(request) {
            return .respond(finish(denied.response(requestID: request.requestID, path: request.path), request))
        }

        switch (route, request.method) {
        case (.healthz, .get), (.healthz, .head):
            return .respond(finish(HealthRoutes.healthz(), request))
        case (.openapi, .get), (.openapi, .head):
            guard let openAPI else { return .respond(finish(Problem(404, "the OpenAPI document is not installed").response(requestID: request.requestID, path: request.path), request)) }
            return .respond(finish(HTTPResponse(status: 200, contentType: "application/json", body: openAPI), request))
        case (.metrics, .get), (.metrics, .head):
            return .respond(finish(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render()), request))
        case (.readyz, .get), (.readyz, .head):
            return run(request, context, blocking: !store.readsAreNonBlocking) { _ throws(Problem) in try HealthRoutes.readyz(self.store) }
        case (.books, .get), (.books, .head):
            return run(request, context, blocking: !store.readsAreNonBlocking) { r throws(Problem) in try self.books.list(r) }
        case (.books, .post):
            return run(request, context, blocking: true) { r throws(Problem) in try self.books.create(r) }
        case (.book(let id), .get), (.book(let id), .head):
            return run(request, context, blocking: !store.readsAreNonBlocking) { r throws(Problem) in try self.books.get(r, id: id) }
        case (.book(let id), .put):
            return run(request, context, blocking: true) { r throws(Problem) in try self.books.update(r, id: id, merge: false) }
        case (.book(let id), .patch):
            return run(request, context, blocking: true) { r throws(Problem) in try self.books.update(r, id: id, merge: true) }
        case (.book(let id), .delete):
            return run(request, context, blocking: true) { r throws(Problem) in try self.books.delete(r, id: id) }
        case (.resources(let kind), .get), (.resources(let kind), .head):
            return run(request, context, blocking: !store.readsAreNonBlocking) { r throws(Problem) in try self.inventory.list(kind, r) }
        case (.resources(let kind), .post):
            return run(request, context, blocking: true) { r throws(Problem) in try self.inventory.create(kind, r) }
        case (.resource(let kind, let id), .get), (.resource(let kind, let id), .head):
            return run(request, context, blocking: !store.readsAreNonBlocking) { _ throws(Problem) in try self.inventory.get(kind, id: id) }
        case (.resource(let kind, let id), .patch):
            return run(request, context, blocking: true) { r throws(Problem) in try self.inventory.rename(kind, id: id, r) }
        case (.resource(let kind, let id), .delete):
            return run(request, context, blocking: true) { _ throws(Problem) in try self.inventory.delete(kind, id: id) }
        case (.allocations(let kind, let id), .get), (.allocations(let kind, let id), .head):
            return run(request, context, blocking: !store.readsAreNonBlocking) { r throws(Problem) in try self.inventory.listAllocations(kind, id: id, r) }
        case (.allocations(let kind, let id), .post):
            return run(request, context, blocking: true) { r throws(Problem) in try self.inventory.allocate(kind, id: id, r) }
        case (.allocation(let kind, let id, let aid), .get), (.allocation(let kind, let id, let aid), .head):
            return run(request, context, blocking: !store.readsAreNonBlocking) { _ throws(Problem) in try self.inventory.getAllocation(kind, id: id, allocationID: aid) }
        case (.allocation(let kind, let id, let aid), .delete):
            return run(request, context, blocking: true) { _ throws(Problem) in try self.inventory.deleteAllocation(kind, id: id, allocationID: aid) }
        default:
            let problem = Problem(405, "\(request.method) is not allowed on \(route.template)", headers: [("Allow", route.allow)])
            return .respond(finish(problem.response(requestID: request.requestID, path: request.path), request))
        }
    }

    /// Before a body is read: the route must exist, the token must be valid, and the body must
    /// fit what the route stores. A refusal is answered without reading the body, and the
    /// connection closes (so `Expect: 100-continue` gets the refusal, never `100 Continue`).
    func admit(_ request: HTTPRequest) -> Admission {
        let refusal: Problem
        do throws(Problem) {
            if let route = try Route.match(request.path) {
                if route.isGuarded, let denied = access.check(request) {
                    refusal = denied
                } else {
                    let cap = route.maxBodyBytes(request.method, maxDocumentBytes: maxDocumentBytes)
                    if cap > 0 { return .proceed(maxBodyBytes: cap) }
                    refusal = route.allow.split(separator: ", ").contains(Substring(request.method.description))
                        ? Problem(413, "\(request.method) \(route.template) takes no request body")
                        : Problem(405, "\(request.method) is not allowed on \(route.template)", headers: [("Allow", route.allow)])
                }
            } else {
                refusal = Problem(404, "no such resource: \(request.path)")
            }
        } catch {
            refusal = error
        }
        metrics.requestStarted()
        return .reject(finish(refusal.response(requestID: request.requestID, path: request.path), request))
    }

    /// A request the HTTP layer refused (a bad head, or a body over its cap, badly framed or too
    /// slow): rendered and decorated like every other answer, so a browser can read the 413.
    func failed(_ error: HTTPParseError, request: HTTPRequest?, requestID: String) -> HTTPResponse {
        metrics.requestStarted()
        metrics.requestFinished()
        var response = Problem(error.status, error.reason).response(requestID: requestID, path: request?.path ?? "-")
        cors.decorate(&response, origin: request?.headers["origin"])
        return response
    }

    /// Runs a route inline, or on the work pool when it may block. A full or slow queue answers 503.
    private func run(_ request: HTTPRequest, _ context: ResponseContext, blocking: Bool,
                     _ work: @escaping @Sendable (HTTPRequest) throws(Problem) -> HTTPResponse) -> HandlerResult {
        guard blocking else { return .respond(execute(request, work)) }
        let busy = Problem(503, "the server is busy; try again shortly", headers: [("Retry-After", "1")])
        let accepted = pool.submit({
            context.complete(self.execute(request, work))
        }, expired: {
            context.complete(self.finish(busy.response(requestID: request.requestID, path: request.path), request))
        })
        return accepted ? .deferred : .respond(finish(busy.response(requestID: request.requestID, path: request.path), request))
    }

    private func execute(_ request: HTTPRequest, _ work: (HTTPRequest) throws(Problem) -> HTTPResponse) -> HTTPResponse {
        do throws(Problem) {
            return finish(try work(request), request)
        } catch {
            if error.status >= 500 { log.error("request \(request.requestID) \(request.method) \(request.path): \(error.detail)") }
            return finish(error.response(requestID: request.requestID, path: request.path), request)
        }
    }

    private func finish(_ response: HTTPResponse, _ request: HTTPRequest) -> HTTPResponse {
        metrics.requestFinished()
        var response = response
        cors.decorate(&response, origin: request.headers["origin"])
        return response
    }
}

/// Application log lines (not the access log), through the same non-blocking sink.
struct AppLog: Sendable {
    let sink: LogSink?
    let level: LogLevel

    func info(_ message: @autoclosure () -> String) { emit(.info, message()) }
    func warn(_ message: @autoclosure () -> String) { emit(.warn, message()) }
    func error(_ message: @autoclosure () -> String) { emit(.error, message()) }

    private func emit(_ at: LogLevel, _ message: String) {
        guard at >= level, let sink else { return }
        sink.line("\(at.rawValue): \(message)")
    }
}
