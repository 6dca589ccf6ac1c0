import Glibc
import Synchronization

/// Counts responses, for the metrics endpoint. Called on I/O threads; must be cheap and thread-safe.
public protocol ResponseRecorder: AnyObject, Sendable {
    /// One response, after it was queued for writing: the request's method, the route index the
    /// application set on the response (-1 for none), its status and its time since the request
    /// head was complete.
    func record(method: HTTPMethod, route: Int, status: Int, nanos: UInt64)
}

/// State every loop shares: read-only, or atomic.
final class ServerShared: Sendable {
    let handler: HTTPHandler
    let limits: HTTPLimits
    let accessLog: LogSink?
    let metrics: ResponseRecorder?
    let openConnections = Atomic<Int>(0)
    /// Idle or slow connections closed to admit a waiting client at the connection limit.
    let displacedConnections = Atomic<Int>(0)
    /// Connections refused at once because their address had MAX_CONNECTIONS_PER_CLIENT open.
    let refusedConnections = Atomic<Int>(0)
    let clientCounts = ClientConnectionCounts()
    /// The whole answer to a connection over the per-client limit, written once and closed.
    let perClientRefusal: [UInt8]
    let idPrefix: String

    init(handler: HTTPHandler, limits: HTTPLimits, accessLog: LogSink?, metrics: ResponseRecorder?) {
        self.handler = handler
        self.limits = limits
        self.accessLog = accessLog
        self.metrics = metrics
        var seed = UInt32(truncatingIfNeeded: monotonicNanos()) ^ UInt32(truncatingIfNeeded: getpid())
        seed = seed &* 2_654_435_761
        idPrefix = String(seed % 46_656, radix: 36) + "-"  // distinguishes restarts in the log
        let body =
            "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503,\"detail\":\"too many connections from this address (at most \(limits.maxConnectionsPerClient)); close one and retry\"}"
        perClientRefusal = Array(
            ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\n"
                + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }
}

public struct ServerConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 5000
    public var unixSocketPath: String?
    public var unixSocketMode: UInt32 = 0o660
    public var ioThreads = 2
    public var backlog: Int32 = 1024
    public var limits = HTTPLimits()
    public var accessLog: LogSink?
    public var metrics: ResponseRecorder?

    public init() {}
}

/// The HTTP/1.1 server: a few epoll loops, each with its own listening socket.
public final class HTTPServer: Sendable {
    private let loops: [EventLoop]
    private let threads: Mutex<[pthread_t]> = Mutex([])
    private let unixListener: Int32?
    private let unixPath: String?
    /// The TCP port actually bound (useful when configured as 0).
    public let port: Int

    public init(configuration c: ServerConfiguration, handler: HTTPHandler) throws(SystemError) {
        let shared = ServerShared(handler: handler, limits: c.limits, accessLog: c.accessLog, metrics: c.metrics)
        var unixFD: Int32?
        if let path = c.unixSocketPath { unixFD = try Listener.unix(path: path, mode: c.unixSocketMode, backlog: c.backlog) }
        var loops: [EventLoop] = []
        var port = c.port
        for i in 0..<max(1, c.ioThreads) {
            // The first bind may pick the port (0); the others must join the same one.
            let tcp = try Listener.tcp(host: c.host, port: port, backlog: c.backlog)
            port = tcp.port
            loops.append(try EventLoop(index: i, listeners: [tcp.fd] + (unixFD.map { [$0] } ?? []), shared: shared))
        }
        self.loops = loops
        self.port = port
        unixListener = unixFD
        unixPath = c.unixSocketPath
    }

    /// Starts one thread per loop and returns.
    public func start() {
        let started = loops.map { loop in startThread(name: "io-\(loop.index)") { loop.run() } }
        threads.withLock { $0 = started }
    }

    /// Stops accepting, lets in-flight requests finish for up to `grace`, then closes what is left.
    /// Returns once every loop has exited.
    public func shutdown(grace: Duration) {
        for loop in loops { loop.execute { loop.beginShutdown(closeListeners: true) } }
        let deadline = monotonicNanos() + grace.nanoseconds
        var finished = false
        while monotonicNanos() < deadline {
            if openConnectionsDrained() { finished = true; break }
            usleep(20_000)
        }
        if !finished { for loop in loops { loop.execute { loop.forceCloseAll() } } }
        for thread in threads.withLock({ $0 }) { pthread_join(thread, nil) }
        if let fd = unixListener { close(fd) }
        if let path = unixPath { unlink(path) }
    }

    private func openConnectionsDrained() -> Bool {
        loops.first.map { _ in sharedOpenConnections() == 0 } ?? true
    }

    /// Connections open now, for metrics.
    public var openConnections: Int { sharedOpenConnections() }

    /// Idle or slow connections closed so far to admit a waiting client at MAX_CONNECTIONS, for metrics.
    public var displacedConnections: Int { loops.first?.sharedState.displacedConnections.load(ordering: .relaxed) ?? 0 }

    /// Connections refused so far at MAX_CONNECTIONS_PER_CLIENT, for metrics.
    public var refusedConnections: Int { loops.first?.sharedState.refusedConnections.load(ordering: .relaxed) ?? 0 }

    private func sharedOpenConnections() -> Int {
        loops.first?.sharedOpenConnections ?? 0
    }
}

extension EventLoop {
    var sharedOpenConnections: Int { sharedState.openConnections.load(ordering: .relaxed) }
}
