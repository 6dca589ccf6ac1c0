/// One client connection as a state machine, without any socket code. The event loop reports
/// what happened (bytes arrived, the peer closed, bytes were written, a deadline passed, the server
/// is stopping) and carries out the `Action` each event returns; everything about what the bytes
/// mean, when to answer, linger or close, lives here (the shape of Hummingbird's
/// HTTPConnectionStateHandler and SwiftNIO's state machines). Requests are read in
/// Connection+Requests.swift.
final class Connection {
    /// Where the connection is in its life. Each case carries the data that phase needs, and the
    /// deadline of each phase follows from it (see `deadline`).
    enum State {
        /// Waiting for a request's first byte: a new connection, or between keep-alive requests.
        case idle(since: UInt64)
        /// Part of a head has arrived; `bytes` count towards the slow-client rate.
        case head(started: UInt64, bytes: Int)
        /// A head with a body was admitted; the body is arriving.
        case body(HTTPRequest, BodyState, started: UInt64, bytes: Int)
        /// The handler has the request; nothing more is read until it answers.
        case handling(InFlight)
        /// The last response is queued; once it is written the connection lingers or closes.
        case closing
        /// Our side is shut for writing; input is read and discarded until `until`, so unread
        /// request bytes do not turn the close into a reset that destroys the response (RFC 9112 §9.6).
        case lingering(until: UInt64)
        /// Finished: the loop closes the socket.
        case closed
    }

    enum BodyState {
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
    }

    /// What the loop does after an event.
    enum Action: Equatable {
        case none
        /// Output is pending: write it.
        case write
        /// Shut the socket for writing and keep reading (the connection lingers).
        case shutdownWrite
        case close
    }

    /// Why the connection will end after its current request, if it will.
    enum Ending { case no, serverStopping, peerClosed }

    /// What the connection remembers about the request its handler is working on.
    struct InFlight {
        var method: HTTPMethod
        var path: String
        var keepAlive: Bool
        var requestID: String
        var startNanos: UInt64
    }

    static let lingerTime: UInt64 = 2_000_000_000
    /// Past this much unwritten output, no further pipelined request is read or answered.
    static let outputHighWater = 256 * 1024

    let fd: Int32
    let limits: HTTPLimits
    // Changed only by Connection.swift and Connection+Requests.swift; the loop only reads them.
    var state: State
    private(set) var ending = Ending.no
    var input: [UInt8] = []
    var readIndex = 0
    var scanner = HeadScanner(start: 0)
    var body: [UInt8] = []
    /// The largest body the current request may have: the handler's cap within MAX_BODY_BYTES.
    var bodyLimit = 0
    var output: [UInt8] = []
    private(set) var outputIndex = 0
    /// Armed while output waits on a client that does not read.
    private(set) var writeDeadline: UInt64 = .max
    var requestsServed = 0
    /// The client's address while it counts towards MAX_CONNECTIONS_PER_CLIENT.
    var peer: PeerAddress?

    init(fd: Int32, limits: HTTPLimits, now: UInt64) {
        self.fd = fd
        self.limits = limits
        state = .idle(since: now)
    }

    // MARK: what the loop reads

    var pendingOutput: Int { output.count - outputIndex }

    /// The unwritten output, for send(2).
    func withPendingOutput<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        output.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[outputIndex...])) }
    }

    /// The epoll interest: read while a request may arrive (and the client reads our answers) or
    /// while lingering; write while output is pending.
    var interest: (read: Bool, write: Bool) {
        let read: Bool
        switch state {
        case .idle, .head, .body: read = ending != .peerClosed && pendingOutput < Self.outputHighWater
        case .lingering: read = true
        case .handling, .closing, .closed: read = false
        }
        return (read, pendingOutput > 0)
    }

    /// The earliest instant at which `timedOut` has something to do. While an answer is being
    /// written only the write timeout applies: a client reading a large answer slowly but
    /// steadily is neither idle nor late with its next request.
    var deadline: UInt64 {
        if pendingOutput > 0 { return writeDeadline }
        let phase: UInt64
        switch state {
        case .idle(let since): phase = since &+ limits.idleTimeout.nanoseconds
        case .head(let started, _): phase = started &+ limits.headerTimeout.nanoseconds
        case .body(_, _, let started, _): phase = started &+ limits.bodyTimeout.nanoseconds
        case .lingering(let until): phase = until
        case .handling, .closing, .closed: phase = .max
        }
        return min(phase, writeDeadline)
    }

    var isHandling: Bool { if case .handling = state { return true } else { return false } }
    var isClosing: Bool {
        switch state {
        case .closing, .lingering, .closed: return true
        default: return false
        }
    }
    /// Nothing half-received, no handler running, nothing to write.
    var isIdle: Bool { if case .idle = state { return pendingOutput == 0 } else { return false } }

    /// Whether, and in which order, this connection may give its place to a waiting client at the
    /// connection limit: lingering ones first (fully answered, only discarding what the client
    /// still sends), then idle ones (longest idle first), then slow ones, the longest in their
    /// head or body first. A slow client has spent `slowGrace` on its current head or body at
    /// under `minReceiveRate` bytes a second; slowloris heads and bodies that never come are that,
    /// a real upload is not. Never one whose request is being handled or answered.
    func displacementOrder(now: UInt64) -> (rank: Int, since: UInt64)? {
        let started: UInt64, bytes: Int
        switch state {
        case .lingering(let until): return (0, until)
        case .idle(let since): return ending == .no && pendingOutput == 0 ? (1, since) : nil
        case .head(let s, let b): (started, bytes) = (s, b)
        case .body(_, _, let s, let b): (started, bytes) = (s, b)
        case .handling, .closing, .closed: return nil
        }
        guard ending == .no, pendingOutput == 0, now > started else { return nil }
        let elapsed = now - started
        guard elapsed >= limits.slowGrace.nanoseconds, Double(bytes) * 1e9 < Double(limits.minReceiveRate) * Double(elapsed) else { return nil }
        return (2, started)
    }

    // MARK: events

    /// Bytes arrived. They are only buffered here; `process` reads requests from them.
    func received(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        switch state {
        case .lingering, .closed:
            return  // discarded: we are closing
        case .idle:
            state = .head(started: now, bytes: bytes.count)  // the first byte of a head starts its clock
        case .head(let started, let count):
            state = .head(started: started, bytes: count + bytes.count)
        case .body(let request, let body, let started, let count):
            state = .body(request, body, started: started, bytes: count + bytes.count)
        case .handling, .closing:
            break
        }
        input.append(contentsOf: bytes)
    }

    /// The client half-closed (read returned 0): answer what it sent, then close (RFC 9112 §9.6).
    func readEOF(now: UInt64) -> Action {
        if case .lingering = state { return finished() }
        ending = .peerClosed
        return next(now: now)
    }

    /// `count` bytes of output went to the socket.
    func wrote(_ count: Int) {
        outputIndex += count
        writeDeadline = .max  // progress: the client reads
        if outputIndex == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
            outputIndex = 0
        }
    }

    /// The socket took no more: the client has `writeTimeout` to read some.
    func writeWouldBlock(now: UInt64) {
        if writeDeadline == .max { writeDeadline = now &+ limits.writeTimeout.nanoseconds }
    }

    /// Everything pending was written: requests that waited on the output may proceed.
    func flushed(handler: HTTPHandler, context: (Connection) -> ResponseContext, env: LoopEnvironment) -> Action {
        if case .idle = state { state = .idle(since: env.now) }  // idle from the moment its answer is out
        if interest.read, readIndex < input.count { return process(handler: handler, context: context, env: env) }
        return next(now: env.now)
    }

    /// A deadline may have passed (the loop sweeps four times a second).
    func timedOut(now: UInt64, handler: HTTPHandler? = nil, env: LoopEnvironment) -> Action {
        guard now >= deadline else { return .none }
        if now >= writeDeadline { return finished() }  // a client that stopped reading our answer
        switch state {
        case .idle, .lingering:
            return finished()
        case .head:
            // RFC 9110 §15.5.9: 408 tells the client the server gave up waiting.
            fail(HTTPParseError(408, "request head not received in time"), handler: handler, env: env)
        case .body(let request, _, _, _):
            fail(HTTPParseError(408, "request body not received in time"), request: request, handler: handler, env: env)
        case .handling, .closing, .closed:
            break
        }
        return next(now: now)
    }

    /// The server is stopping: finish the current request, then close; an idle connection closes now.
    func shutdown(now: UInt64) -> Action {
        if ending == .no { ending = .serverStopping }
        return next(now: now)
    }

    /// Refused before any request (over MAX_CONNECTIONS_PER_CLIENT): answered at once, then the
    /// connection lingers and closes.
    func refuse(_ error: HTTPParseError, handler: HTTPHandler?, env: LoopEnvironment) -> Action {
        fail(error, handler: handler, env: env)
        return next(now: env.now)
    }

    /// A deferred handler's response, on the loop's thread. Stale answers (the connection moved
    /// on or the client left) are dropped.
    func deliver(_ response: HTTPResponse, serial: Int, handler: HTTPHandler, context: (Connection) -> ResponseContext, env: LoopEnvironment) -> Action {
        guard requestsServed == serial, isHandling else { return .none }
        finish(response, env: env)
        return process(handler: handler, context: context, env: env)
    }

    // MARK: transitions

    /// What the loop must do now that nothing else is happening.
    func next(now: UInt64) -> Action {
        if case .closed = state { return .close }
        if pendingOutput > 0 { return .write }
        switch state {
        case .closing:
            if ending == .peerClosed { return finished() }  // nothing more can arrive: no need to linger
            state = .lingering(until: now &+ Self.lingerTime)
            return .shutdownWrite
        case .idle where ending != .no:
            return finished()
        case .head, .body:
            // The peer is gone: a half-received request can never complete.
            return ending == .peerClosed ? finished() : .none
        default:
            return .none
        }
    }

    private func finished() -> Action {
        state = .closed
        return .close
    }

    /// The connection will not be reused after the current response.
    var endsAfterCurrent: Bool { ending != .no }

    /// Gives memory back while idle, so that thousands of idle keep-alive connections stay cheap.
    func releaseBuffers() {
        guard isIdle else { return }
        input = []
        output = []
        readIndex = 0
        outputIndex = 0
        scanner = HeadScanner(start: 0)
    }
}

/// What a connection needs from its loop: the time, the Date header, request ids and the access log.
protocol LoopEnvironment: AnyObject {
    var now: UInt64 { get }
    var date: [UInt8] { get }
    func nextRequestID() -> String
    func log(_ method: HTTPMethod, _ path: String, _ status: Int, _ bytes: Int, _ startNanos: UInt64, _ requestID: String, route: Int)
}
