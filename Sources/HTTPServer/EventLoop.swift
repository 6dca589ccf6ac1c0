import CSystemShims
import Glibc
import Synchronization

/// One epoll loop on its own thread. It owns its listening socket and every connection it accepts;
/// other threads reach it only through `execute`, which queues a closure and wakes it with an eventfd.
final class EventLoop: LoopEnvironment, @unchecked Sendable {  // loop state is confined to the loop thread; the inbox is a Mutex
    let index: Int
    private let epollFD: Int32
    private let wakeFD: Int32
    private var listeners: [Int32]
    private let shared: ServerShared
    var sharedState: ServerShared { shared }
    private var connections: [Connection?] = []
    /// The epoll interest registered per descriptor, so epoll_ctl is called only on a change.
    private var registeredEvents: [UInt32] = []
    private var connectionCount = 0
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    private var dateCache = DateCache()
    private var requestCounter: UInt64 = 0
    private var logBuffer: [UInt8] = []
    private var lastSweep: UInt64 = 0
    private var acceptPaused = false
    private var displacementQueue: [Connection] = []  // longest-idle first; see longestIdleConnection
    private var displacementNext = 0
    private var shuttingDown = false
    private(set) var now: UInt64 = monotonicNanos(coarse: true)

    init(index: Int, listeners: [Int32], shared: ServerShared) throws(SystemError) {
        self.index = index
        self.listeners = listeners
        self.shared = shared
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw SystemError("epoll_create1") }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else { throw SystemError("eventfd") }
        try register(wakeFD, events: EPOLLIN.rawValue, op: EPOLL_CTL_ADD)
        for fd in listeners { try register(fd, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue, op: EPOLL_CTL_ADD) }
        dateCache.refresh()
    }

    var date: [UInt8] { dateCache.bytes }

    /// Runs `work` on this loop's thread soon. Safe from any thread.
    func execute(_ work: @escaping @Sendable () -> Void) {
        inbox.withLock { $0.append(work) }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !(shuttingDown && connectionCount == 0) {
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress, 256, 250) }
            now = monotonicNanos(coarse: true)
            if n < 0 && errno != EINTR { fatalError("epoll_wait: \(SystemError("epoll_wait"))") }
            for i in 0..<max(0, Int(n)) {
                let fd = events[i].data.fd
                let flags = events[i].events
                if fd == wakeFD { drainInbox() } else if listeners.contains(fd) { acceptConnections(fd) } else { handleEvent(fd: fd, flags: flags) }
            }
            if now &- lastSweep >= 250_000_000 { sweep() }
            flushLog()
        }
        flushLog()
        close(epollFD)
    }

    // MARK: accepting

    /// At MAX_CONNECTIONS a waiting client takes the place of this loop's longest-idle connection
    /// (one still waiting for its first byte, or between keep-alive requests), or failing that of
    /// its slowest one (a head or body trickling in under MIN_RECEIVE_RATE); never one whose
    /// request is being handled (see `Connection.displacementOrder`). nginx reuses idle
    /// connections the same way, and clients must expect an idle connection to close (RFC 9112
    /// §9.5): a flood of silent or trickling connections then cannot keep real clients waiting
    /// until its header or body timeout. Without such a connection, clients wait in the backlog.
    /// Past MAX_CONNECTIONS_PER_CLIENT from one address, a new connection is refused at once.
    private func acceptConnections(_ listener: Int32) {
        for _ in 0..<64 {  // bounded, so one busy listener cannot starve the loop's connections
            var displaced: Connection?
            if shared.openConnections.load(ordering: .relaxed) >= shared.limits.maxConnections {
                displaced = longestIdleConnection()
                guard displaced != nil else {
                    pauseAccepting()
                    return
                }
            }
            // Accept first, so an idle connection is closed only for a client really waiting.
            let fd = shim_accept4(listener, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if fd < 0 {
                if displaced != nil { displacementNext -= 1 }  // not needed after all: it stays first in line
                switch errno {
                case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED: return
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    pauseAccepting()  // out of descriptors: leave clients in the backlog, retry at the next sweep
                    return
                default: return
                }
            }
            let perClient = shared.limits.maxConnectionsPerClient
            let peer = perClient > 0 ? PeerAddress(peerOf: fd) : nil
            if let peer, !shared.clientCounts.admit(peer, limit: perClient) {
                shared.refusedConnections.add(1, ordering: .relaxed)
                if displaced != nil {
                    // At the limit no place is taken for a refusal: one write, then close.
                    displacementNext -= 1
                    refuse(fd)
                } else if let connection = adopt(fd, peer: nil) {
                    // The 503 is answered at once, then the connection lingers, so the client reads
                    // it instead of a reset; a lingering connection is the first to give way.
                    let error = HTTPParseError(503, "too many connections from this address (at most \(perClient)); close one and retry", retryAfter: 1)
                    carryOut(connection.refuse(error, handler: shared.handler, env: self), connection)
                }
                continue
            }
            if let displaced {
                closeConnection(displaced)
                shared.displacedConnections.add(1, ordering: .relaxed)
            }
            adopt(fd, peer: peer)
        }
    }

    /// Watches a new connection; nil (and closed) if epoll cannot.
    @discardableResult
    private func adopt(_ fd: Int32, peer: PeerAddress?) -> Connection? {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))  // fails harmlessly on unix sockets
        shared.openConnections.add(1, ordering: .relaxed)
        let connection = Connection(fd: fd, limits: shared.limits, now: now)
        connection.peer = peer
        if Int(fd) >= connections.count {
            let grow = Int(fd) + 1 - connections.count + 64
            connections.append(contentsOf: repeatElement(nil, count: grow))
            registeredEvents.append(contentsOf: repeatElement(0, count: grow))
        }
        connections[Int(fd)] = connection
        connectionCount += 1
        registeredEvents[Int(fd)] = EPOLLIN.rawValue
        // A connection epoll cannot watch would never be served or timed out: close it now.
        if (try? register(fd, events: EPOLLIN.rawValue, op: EPOLL_CTL_ADD)) == nil {
            closeConnection(connection)
            return nil
        }
        return connection
    }

    /// At MAX_CONNECTIONS, a client over MAX_CONNECTIONS_PER_CLIENT gets the one prepared 503 and
    /// is closed at once: it takes no slot, no buffer and no place in epoll.
    private func refuse(_ fd: Int32) {
        _ = shared.perClientRefusal.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
        close(fd)
    }

    /// The idle connection (see `acceptConnections`) whose last activity is oldest. Candidates
    /// come from one scan per 1/64 of the loop's connections, so a flood at the limit costs no
    /// full scan per accepted client; one that got busy since is skipped.
    private func longestIdleConnection() -> Connection? {
        while true {
            if displacementNext == displacementQueue.count {
                refillDisplacementQueue()
                if displacementQueue.isEmpty { return nil }
            }
            let candidate = displacementQueue[displacementNext]
            displacementNext += 1
            if connections[Int(candidate.fd)] === candidate && candidate.displacementOrder(now: now) != nil { return candidate }
        }
    }

    private func refillDisplacementQueue() {
        displacementQueue.removeAll(keepingCapacity: true)
        displacementNext = 0
        var ranked: [(order: (rank: Int, since: UInt64), connection: Connection)] = []
        for case let connection? in connections {
            if let order = connection.displacementOrder(now: now) { ranked.append((order, connection)) }
        }
        ranked.sort { $0.order < $1.order }
        displacementQueue.append(contentsOf: ranked.lazy.map(\.connection))
        let keep = max(1, connectionCount / 64)
        if displacementQueue.count > keep { displacementQueue.removeSubrange(keep...) }
    }

    private func pauseAccepting() {
        guard !acceptPaused else { return }
        acceptPaused = true
        for fd in listeners { epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil) }
    }

    /// Resumes below the limit, or at it when `canDisplace` (this loop has an idle connection).
    private func resumeAcceptingIfPossible(canDisplace: Bool = false) {
        guard acceptPaused, !shuttingDown, canDisplace || shared.openConnections.load(ordering: .relaxed) < shared.limits.maxConnections else { return }
        acceptPaused = false
        for fd in listeners where (try? register(fd, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue, op: EPOLL_CTL_ADD)) == nil {
            acceptPaused = true  // stays paused; the next sweep tries again
        }
    }

    // MARK: connection I/O: report events to the connection, carry out the action it returns

    private func handleEvent(fd: Int32, flags: UInt32) {
        guard Int(fd) < connections.count, let connection = connections[Int(fd)] else { return }
        if flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 && flags & EPOLLIN.rawValue == 0 {
            closeConnection(connection)
            return
        }
        if flags & EPOLLIN.rawValue != 0 {
            readAvailable(connection)
        } else if flags & EPOLLOUT.rawValue != 0 {
            flush(connection)
        }
    }

    private func readAvailable(_ connection: Connection) {
        var total = 0, endOfFile = false
        while total < 256 * 1024 {
            let n = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                total += n
                scratch.withUnsafeBytes { connection.received(UnsafeRawBufferPointer(rebasing: $0[0..<n]), now: now) }
                if n < scratch.count { break }
                continue
            }
            if n == 0 { endOfFile = true; break }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            closeConnection(connection)
            return
        }
        var action = connection.process(handler: shared.handler, context: context, env: self)
        if endOfFile, action != .close { action = connection.readEOF(now: now) }
        carryOut(action, connection)
    }

    private func context(_ connection: Connection) -> ResponseContext {
        ResponseContext(loop: self, connection: connection, serial: connection.requestsServed)
    }

    /// Called on this loop's thread with a deferred handler's response.
    func deliver(_ response: HTTPResponse, to connection: Connection, serial: Int) {
        guard Int(connection.fd) < connections.count, connections[Int(connection.fd)] === connection else { return }
        carryOut(connection.deliver(response, serial: serial, handler: shared.handler, context: context, env: self), connection)
    }

    private func carryOut(_ action: Connection.Action, _ connection: Connection) {
        switch action {
        case .none: updateInterest(connection)
        case .write: flush(connection)
        case .shutdownWrite:
            shutdown(connection.fd, Int32(SHUT_WR))
            updateInterest(connection)
        case .close: closeConnection(connection)
        }
    }

    /// Writes until the output is gone or the socket is full; pipelined requests that waited on
    /// the output then proceed, and their answers are written in the same pass.
    private func flush(_ connection: Connection) {
        while true {
            while connection.pendingOutput > 0 {
                let n = connection.withPendingOutput { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n > 0 { connection.wrote(n); continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    connection.writeWouldBlock(now: now)
                    updateInterest(connection)
                    return
                }
                closeConnection(connection)
                return
            }
            let action = connection.flushed(handler: shared.handler, context: context, env: self)
            guard action == .write else { return carryOut(action, connection) }
        }
    }

    private func updateInterest(_ connection: Connection) {
        let wanted = connection.interest
        let events = (wanted.read ? EPOLLIN.rawValue : 0) | (wanted.write ? EPOLLOUT.rawValue : 0)
        guard events != registeredEvents[Int(connection.fd)] else { return }
        registeredEvents[Int(connection.fd)] = events
        if (try? register(connection.fd, events: events, op: EPOLL_CTL_MOD)) == nil { closeConnection(connection) }
    }

    private func closeConnection(_ connection: Connection) {
        let fd = connection.fd
        guard Int(fd) < connections.count, connections[Int(fd)] === connection else { return }
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        close(fd)
        connections[Int(fd)] = nil
        if let peer = connection.peer { shared.clientCounts.release(peer) }
        connectionCount -= 1
        shared.openConnections.subtract(1, ordering: .relaxed)
        resumeAcceptingIfPossible()
    }

    // MARK: housekeeping

    private func drainInbox() {
        var value: UInt64 = 0
        _ = read(wakeFD, &value, 8)
        let work = inbox.withLock { queue -> [@Sendable () -> Void] in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for item in work { item() }
    }

    /// Timeouts, the Date header, idle memory and paused accepts, four times a second.
    private func sweep() {
        lastSweep = now
        dateCache.refresh()
        var reusable = false
        for case let connection? in connections {
            if now >= connection.deadline {
                carryOut(connection.timedOut(now: now, handler: shared.handler, env: self), connection)
                if connections[Int(connection.fd)] !== connection { continue }
            }
            if connection.isIdle { connection.releaseBuffers() }
            reusable = reusable || connection.displacementOrder(now: now) != nil
        }
        resumeAcceptingIfPossible(canDisplace: reusable)
        if !displacementQueue.isEmpty && shared.openConnections.load(ordering: .relaxed) < shared.limits.maxConnections {
            displacementQueue.removeAll(keepingCapacity: true)  // below the limit again: hold no closed connections
            displacementNext = 0
        }
    }

    /// Stops accepting and lets connections finish their current request (graceful shutdown).
    func beginShutdown(closeListeners: Bool) {
        shuttingDown = true
        for fd in listeners { epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil) }
        // Only the first listener is this loop's own; a unix socket is shared and closed by the server.
        if closeListeners, let own = listeners.first { close(own) }
        listeners = []
        for case let connection? in connections { carryOut(connection.shutdown(now: now), connection) }
        lastSweep = 0
    }

    func forceCloseAll() {
        for case let connection? in connections { closeConnection(connection) }
    }

    private func register(_ fd: Int32, events: UInt32, op: Int32) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        try SystemCall.check("epoll_ctl(\(op == EPOLL_CTL_ADD ? "ADD" : "MOD"), fd \(fd))") { epoll_ctl(epollFD, op, fd, &event) }
    }

    // MARK: LoopEnvironment

    /// `<restart tag>-<loop><counter>` in base 36, formatted without allocating (up to 15 bytes
    /// fit a Swift small string).
    func nextRequestID() -> String {
        requestCounter += 1
        var bytes: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            var n = 0
            for b in shared.idPrefix.utf8 where n < 5 { raw[n] = b; n += 1 }
            raw[n] = Self.base36[index % 36]; n += 1
            var digits = requestCounter, start = n
            repeat { raw[n] = Self.base36[Int(digits % 36)]; digits /= 36; n += 1 } while digits > 0 && n < 16
            var end = n - 1
            while start < end { raw.swapAt(start, end); start += 1; end -= 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<n]), as: UTF8.self)
        }
    }

    private static let base36: [UInt8] = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    func log(_ method: HTTPMethod, _ path: String, _ status: Int, _ bytes: Int, _ startNanos: UInt64, _ requestID: String, route: Int) {
        shared.metrics?.record(method: method, route: route, status: status, nanos: monotonicNanos() &- startNanos)
        guard let sink = shared.accessLog else { return }
        _ = sink
        let micros = (monotonicNanos() &- startNanos) / 1000
        logBuffer.append(contentsOf: "\(method) \(path) \(status) \(bytes) \(micros / 1000).\(String(micros % 1000 + 1000).dropFirst())ms \(requestID)\n".utf8)
    }

    private func flushLog() {
        guard !logBuffer.isEmpty, let sink = shared.accessLog else { return }
        sink.write(logBuffer)
        logBuffer.removeAll(keepingCapacity: true)
    }
}
