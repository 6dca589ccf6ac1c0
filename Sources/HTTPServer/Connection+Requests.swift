/// Reading requests from a connection's input: heads, admission, bodies, pipelining, and the
/// answer that moves the connection on (Connection.swift has the states and events).
extension Connection {
    /// Parses and dispatches as many complete requests as the buffer holds (pipelining), in order,
    /// and says what the loop must do next.
    func process(handler: HTTPHandler, context: (Connection) -> ResponseContext, env: LoopEnvironment) -> Action {
        loop: while true {
            switch state {
            case .handling, .closing, .lingering, .closed:
                break loop
            case .idle, .head:
                guard readIndex < input.count, pendingOutput < Self.outputHighWater else { break loop }
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
                        if head.framing == .none { dispatch(request, handler: handler, context: context, env: env) } else { admitBody(head, request, handler: handler, env: env) }
                    }
                }
            case .body(let request, let progress, let started, let bytes):
                guard readIndex < input.count else { break loop }
                switch progress {
                case .length(let remaining):
                    let take = min(remaining, input.count - readIndex)
                    body.append(contentsOf: input[readIndex..<readIndex + take])
                    readIndex += take
                    if take == remaining {
                        dispatch(request, handler: handler, context: context, env: env)
                    } else {
                        state = .body(request, .length(remaining: remaining - take), started: started, bytes: bytes)
                    }
                case .chunked(var decoder):
                    var position = readIndex
                    let result = input.withUnsafeBufferPointer { decoder.decode($0, position: &position, body: &body, maxBody: bodyLimit, limits: limits) }
                    readIndex = position
                    switch result {
                    case .needMore:
                        state = .body(request, .chunked(decoder), started: started, bytes: bytes)
                        break loop  // a partial line may remain buffered: wait for more bytes
                    case .done:
                        dispatch(request, handler: handler, context: context, env: env)
                    case .failed(let error):
                        fail(error, request: request, handler: handler, env: env)
                    }
                }
            }
        }
        compactInput()
        return next(now: env.now)
    }

    /// Asks the handler about the body before reading any of it: a refusal (401, 404, ...) is
    /// answered at once and the connection closes, so an unwanted body is never buffered.
    private func admitBody(_ head: RequestHead, _ request: HTTPRequest, handler: HTTPHandler, env: LoopEnvironment) {
        switch handler.admit(request) {
        case .reject(var response):
            response.closeConnection = true
            requestsServed += 1
            state = .handling(
                InFlight(
                    method: request.method, path: request.path, keepAlive: false,
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
        let received = input.count - readIndex
        switch head.framing {
        case .none, .length:
            // Grow as bytes arrive: a declared length is only a claim, and reserving it up front
            // would let a thousand heads that never send a body hold a gigabyte.
            let length: Int
            if case .length(let n) = head.framing { length = n } else { length = 0 }
            body.reserveCapacity(min(length, 64 * 1024))
            state = .body(request, .length(remaining: length), started: env.now, bytes: received)
        case .chunked:
            state = .body(request, .chunked(ChunkedDecoder()), started: env.now, bytes: received)
        }
        // RFC 9110 §10.1.1: tell a waiting client to send the body, unless it already has.
        if head.expectContinue, readIndex == input.count {
            ResponseEncoder.append("HTTP/1.1 100 Continue\r\n\r\n", to: &output)
        }
    }

    private func makeRequest(_ head: RequestHead, env: LoopEnvironment) -> HTTPRequest {
        let requestID = head.headers["x-request-id"].flatMap(Self.safeRequestID) ?? env.nextRequestID()
        return HTTPRequest(
            method: head.method, path: head.path, query: head.query, version: head.version,
            headers: head.headers, body: [], requestID: requestID, keepAlive: head.keepAlive)
    }

    private func dispatch(_ request: HTTPRequest, handler: HTTPHandler, context: (Connection) -> ResponseContext, env: LoopEnvironment) {
        var request = request
        if !body.isEmpty { swap(&request.body, &body) }
        requestsServed += 1
        state = .handling(
            InFlight(
                method: request.method, path: request.path, keepAlive: request.keepAlive && !endsAfterCurrent,
                requestID: request.requestID, startNanos: monotonicNanos()))
        switch handler.handle(request, context: context(self)) {
        case .respond(let response): finish(response, env: env)
        case .deferred: break
        }
    }

    /// Writes the handler's response for the in-flight request and moves to the next one.
    func finish(_ response: HTTPResponse, env: LoopEnvironment) {
        guard case .handling(let inFlight) = state else { return }
        let keepAlive = inFlight.keepAlive && !response.closeConnection && !endsAfterCurrent
        let before = output.count
        ResponseEncoder.encode(response, date: env.date, headOnly: inFlight.method == .head, keepAlive: keepAlive, into: &output)
        env.log(inFlight.method, inFlight.path, response.status, output.count - before, inFlight.startNanos, inFlight.requestID, route: response.routeIndex)
        if keepAlive {
            scanner = HeadScanner(start: readIndex)
            // Bytes already buffered are the next (pipelined) head: its clock starts now.
            state = readIndex < input.count ? .head(started: env.now, bytes: input.count - readIndex) : .idle(since: env.now)
        } else {
            state = .closing
        }
    }

    /// Answers a framing error with 400-class problem+json, rendered by the handler, and closes
    /// (RFC 9112 §11.2: no reuse after bad framing).
    func fail(_ error: HTTPParseError, request: HTTPRequest? = nil, handler: HTTPHandler?, env: LoopEnvironment) {
        let requestID = request?.requestID ?? env.nextRequestID()
        var response = handler?.failed(error, request: request, requestID: requestID) ?? HTTPResponse.problem(error)
        response.closeConnection = true
        state = .handling(
            InFlight(
                method: request?.method ?? .get, path: request?.path ?? "-", keepAlive: false,
                requestID: requestID, startNanos: env.now))
        finish(response, env: env)
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
            value.utf8.allSatisfy({ isTokenChar($0) && $0 != UInt8(ascii: "%") })
        else { return nil }
        return value
    }
}
