/// One client connection's HTTP state, without any socket code: bytes go in with `received`,
/// responses come out in `output`. The event loop moves bytes; this decides what they mean.
final class Connection {
    enum Phase {
        case head
        case body(HTTPRequest, BodyState)
        case handling(InFlight)
        case closing
    }

    enum BodyState {
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
    }

    /// What the connection remembers about the request its handler is working on.
    struct InFlight {
        var method: HTTPMethod
        var path: String
        var keepAlive: Bool
        var requestID: String
        var startNanos: UInt64
    }

    let fd: Int32
    let limits: HTTPLimits
    private(set) var phase = Phase.head
    private(set) var input: [UInt8] = []
    private var readIndex = 0
    private var scanner = HeadScanner(start: 0)
    private var body: [UInt8] = []
    /// The largest body the current request may have: the handler's cap within MAX_BODY_BYTES.
    private var bodyLimit = 0
    private(set) var output: [UInt8] = []
    var outputIndex = 0
    /// Monotonic deadline for the current phase (idle, header, body); `.max` while a handler runs.
    private(set) var deadline: UInt64
    private(set) var deadlineKind = DeadlineKind.idle
    private(set) var requestsServed = 0
    /// Set when the server is shutting down or the client half-closed: finish the current request, then close.
    var draining = false
    var peerClosed = false
    /// After the last response: our side is shut for writing and we discard input until this deadline.
    var lingering = false
    var lingerDeadline: UInt64 = .max
    /// Set while output waits on a client that does not read.
    var writeDeadline: UInt64 = .max
    /// The epoll interest currently registered, so the loop only calls epoll_ctl on a change.
    var registeredEvents: UInt32 = 0
    /// The client's address while it counts towards MAX_CONNECTIONS_PER_CLIENT.
    var peer: PeerAddress?
    /// When the current head (from its first byte) or body began, and the bytes received since:
    /// the average rate that tells a slow client from a busy one.
    private var phaseStart: UInt64 = 0
    private var phaseBytes = 0

    enum DeadlineKind { case idle, header, body, none }

    init(fd: Int32, limits: HTTPLimits, now: UInt64) {
        self.fd = fd
        self.limits = limits
        deadline = now + limits.idleTimeout.nanoseconds
    }

    var pendingOutput: Int { output.count - outputIndex }
    var hasBufferedInput: Bool { readIndex < input.count }
    var isClosing: Bool { if case .closing = phase { return true } else { return false } }
    var isHandling: Bool { if case .handling = phase { return true } else { return false } }
    /// No partial request buffered, no handler running, nothing to write: safe to close on shutdown.
    var isIdle: Bool {
        if case .head = phase { return readIndex == input.count && pendingOutput == 0 }
        return false
    }
    /// Idle since its last request (or since it connected) and not closing: may give its place
    /// to a waiting client at the connection limit. Its idle deadline orders the last activity.
    var isReusable: Bool { isIdle && deadlineKind == .idle && !draining && !lingering }

    /// Whether, and in which order, this connection may give its place to a waiting client at the
    /// connection limit: lingering ones first (fully answered, only discarding what the client
    /// still sends), then idle ones (longest idle first), then slow ones, the longest in their
    /// head or body first. A slow client has spent `slowGrace` on its current head or body at
    /// under `minReceiveRate` bytes a second; slowloris heads and bodies that never come are that,
    /// a real upload is not. Never one whose request is being handled or answered.
    func displacementOrder(now: UInt64) -> (rank: Int, since: UInt64)? {
        if lingering { return (0, lingerDeadline) }
        if isReusable { return (1, deadline) }
        guard !draining, pendingOutput == 0 else { return nil }
        switch phase {
        case .head where deadlineKind == .header: break
        case .body: break
        default: return nil
        }
        let elapsed = now &- phaseStart
        guard now > phaseStart, elapsed >= limits.slowGrace.nanoseconds,
              Double(phaseBytes) * 1e9 < Double(limits.minReceiveRate) * Double(elapsed) else { return nil }
        return (2, phaseStart)
    }
    /// Stop reading while a handler runs or while the client is not reading our answers.
    var wantsRead: Bool {
        switch phase {
        case .head, .body: return pendingOutput < 256 * 1024
        case .handling, .closing: return false
        }
    }

    func received(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        if readIndex == input.count, case .head = phase, !scanner.hasStarted {
            deadline = now + limits.headerTimeout.nanoseconds  // the first byte of a head starts its clock
            deadlineKind = .header
            phaseStart = now
            phaseBytes = 0
        }
        phaseBytes += bytes.count
        input.append(contentsOf: bytes)
    }

    /// Parses and dispatches as many complete requests as the buffer holds (pipelining), in order.
    func process(handler: HTTPHandler, context: (Connection) -> ResponseContext, env: LoopEnvironment) {
        loop: while true {
            switch phase {
            case .handling, .closing:
                break loop
            case .head:
                guard readIndex < input.count, pendingOutput < 256 * 1024 else { break loop }
                let scan = input.withUnsafeBufferPointer { scanner.scan($0, limits: limits) }
                switch scan {
                case .needMore:
                    break loop
                case .failed(let error):
                    fail(error, handler: handler, env: env)
                case .complete(let start, let end):
                    let parsed = input.withUnsafeBufferPointer { HeadParser.parse(UnsafeBufferPointer(rebasing: $0[start..<end]), limits: limits) }
                    readIndex = end
                    switch parsed {
                    case .failure(let error):
                        fail(error, handler: handler, env: env)
                    case .success(let head):
                        let request = makeRequest(head, env: env)
                        // A request without a body goes straight to its handler: no body phase, no body timeout.
                        if head.framing == .none { dispatch(request, handler: handler, context: context, env: env) }
                        else { admitBody(head, request, handler: handler, env: env) }
                    }
                }
            case .body(let head, var state):
                guard readIndex < input.count else { break loop }
                switch state {
                case .length(let remaining):
                    let take = min(remaining, input.count - readIndex)
                    body.append(contentsOf: input[readIndex..<readIndex + take])
                    readIndex += take
                    if take == remaining { dispatch(head, handler: handler, context: context, env: env) }
                    else { phase = .body(head, .length(remaining: remaining - take)) }
                case .chunked(var decoder):
                    var position = readIndex
                    let result = input.withUnsafeBufferPointer { decoder.decode($0, position: &position, body: &body, maxBody: bodyLimit, limits: limits) }
                    readIndex = position
                    switch result {
                    case .needMore:
                        state = .chunked(decoder)
                        phase = .body(head, state)
                        break loop  // a partial line may remain buffered: wait for more bytes
                    case .done:
                        dispatch(head, handler: handler, context: context, env: env)
                    case .failed(let error):
                        fail(error, request: head, handler: handler, env: env)
                    }
                }
            }
        }
        compactInput()
    }

    /// Asks the handler about the body before reading any of it: a refusal (401, 404, ...) is
    /// answered at once and the connection closes, so an unwanted body is never buffered.
    private func admitBody(_ head: RequestHead, _ request: HTTPRequest, handler: HTTPHandler, env: LoopEnvironment) {
        switch handler.admit(request) {
        case .reject(var response):
            response.closeConnection = true
            requestsServed += 1
            phase = .handling(InFlight(method: request.method, path: request.path, keepAlive: false,
                                       requestID: request.requestID, startNanos: monotonicNanos()))
            finish(response, env: env)
        case .proceed(let cap):
            bodyLimit = min(cap, limits.maxBodyBytes)
            if case .length(let n) = head.framing, n > bodyLimit {
                fail(HTTPParseError(413, "body larger than \(bodyLimit) bytes"), request: request, handler: handler, env: env)
                return
            }
            startBody(head, request, env: env)
        }
    }

    private func startBody(_ head: RequestHead, _ request: HTTPRequest, env: LoopEnvironment) {
        body = []
        switch head.framing {
        case .none:
            phase = .body(request, .length(remaining: 0))
        case .length(let n):
            // Grow as bytes arrive: a declared length is only a claim, and reserving it up front
            // would let a thousand heads that never send a body hold a gigabyte.
            body.reserveCapacity(min(n, 64 * 1024))
            phase = .body(request, .length(remaining: n))
        case .chunked:
            phase = .body(request, .chunked(ChunkedDecoder()))
        }
        // RFC 9110 §10.1.1: tell a waiting client to send the body, unless it already has.
        if head.expectContinue, readIndex == input.count {
            ResponseEncoder.append("HTTP/1.1 100 Continue\r\n\r\n", to: &output)
        }
        deadline = env.now + limits.bodyTimeout.nanoseconds
        deadlineKind = .body
        phaseStart = env.now
        phaseBytes = input.count - readIndex
    }

    private func makeRequest(_ head: RequestHead, env: LoopEnvironment) -> HTTPRequest {
        let requestID = head.headers["x-request-id"].flatMap(Self.safeRequestID) ?? env.nextRequestID()
        return HTTPRequest(method: head.method, path: head.path, query: head.query, version: head.version,
                           headers: head.headers, body: [], requestID: requestID, keepAlive: head.keepAlive)
    }

    private func dispatch(_ request: HTTPRequest, handler: HTTPHandler, context: (Connection) -> ResponseContext, env: LoopEnvironment) {
        var request = request
        if !body.isEmpty { swap(&request.body, &body) }
        requestsServed += 1
        phase = .handling(InFlight(method: request.method, path: request.path, keepAlive: request.keepAlive && !draining,
                                   requestID: request.requestID, startNanos: monotonicNanos()))
        deadline = .max
        deadlineKind = .none
        switch handler.handle(request, context: context(self)) {
        case .respond(let response): finish(response, env: env)
        case .deferred: break
        }
    }

    /// Writes the handler's response for the in-flight request and moves to the next one.
    func finish(_ response: HTTPResponse, env: LoopEnvironment) {
        guard case .handling(let inFlight) = phase else { return }
        let keepAlive = inFlight.keepAlive && !response.closeConnection && !draining
        let before = output.count
        ResponseEncoder.encode(response, date: env.date, headOnly: inFlight.method == .head, keepAlive: keepAlive, into: &output)
        env.log(inFlight.method, inFlight.path, response.status, output.count - before, inFlight.startNanos, inFlight.requestID, route: response.routeIndex)
        if keepAlive {
            phase = .head
            scanner = HeadScanner(start: readIndex)
            if readIndex < input.count {
                deadline = env.now + limits.headerTimeout.nanoseconds
                deadlineKind = .header
                phaseStart = env.now
                phaseBytes = input.count - readIndex
            } else {
                deadline = env.now + limits.idleTimeout.nanoseconds
                deadlineKind = .idle
            }
        } else {
            phase = .closing
        }
    }

    /// Answers a framing error with 400-class problem+json, rendered by the handler, and closes
    /// (RFC 9112 §11.2: no reuse after bad framing).
    func fail(_ error: HTTPParseError, request: HTTPRequest? = nil, handler: HTTPHandler?, env: LoopEnvironment) {
        let requestID = request?.requestID ?? env.nextRequestID()
        var response = handler?.failed(error, request: request, requestID: requestID) ?? HTTPResponse.problem(error)
        response.closeConnection = true
        phase = .handling(InFlight(method: request?.method ?? .get, path: request?.path ?? "-", keepAlive: false,
                                   requestID: requestID, startNanos: env.now))
        finish(response, env: env)
    }

    /// Called by the loop when a deadline passes. Returns true if the connection should close now.
    func timedOut(env: LoopEnvironment, handler: HTTPHandler? = nil) -> Bool {
        switch deadlineKind {
        case .idle, .none:
            return true
        case .header, .body:
            // RFC 9110 §15.5.9: 408 tells the client the server gave up waiting.
            let error = HTTPParseError(408, deadlineKind == .header ? "request head not received in time" : "request body not received in time")
            if case .body(let request, _) = phase { fail(error, request: request, handler: handler, env: env) } else { fail(error, handler: handler, env: env) }
            return false
        }
    }

    func consumedOutput(_ count: Int) {
        outputIndex += count
        if outputIndex == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
            outputIndex = 0
        }
    }

    /// Gives memory back while idle, so that thousands of idle keep-alive connections stay cheap.
    func releaseBuffers() {
        guard isIdle else { return }
        input = []
        output = []
        readIndex = 0
        outputIndex = 0
        scanner = HeadScanner(start: 0)
    }

    private func compactInput() {
        if readIndex == input.count {
            input.removeAll(keepingCapacity: input.capacity <= 64 * 1024)
            scanner.shift(by: readIndex)
            readIndex = 0
        } else if readIndex > 16 * 1024 {
            input.removeFirst(readIndex)
            scanner.shift(by: readIndex)
            readIndex = 0
        }
    }

    private static func safeRequestID(_ value: String) -> String? {
        guard (1...64).contains(value.utf8.count),
              value.utf8.allSatisfy({ isTokenChar($0) && $0 != UInt8(ascii: "%") }) else { return nil }
        return value
    }

}

/// What a connection needs from its loop: the time, the Date header, request ids and the access log.
protocol LoopEnvironment: AnyObject {
    var now: UInt64 { get }
    var date: [UInt8] { get }
    func nextRequestID() -> String
    func log(_ method: HTTPMethod, _ path: String, _ status: Int, _ bytes: Int, _ startNanos: UInt64, _ requestID: String, route: Int)
}
