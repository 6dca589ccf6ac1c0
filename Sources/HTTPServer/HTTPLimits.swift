/// Limits the parser and connections enforce. Every one is a server setting.
public struct HTTPLimits: Sendable {
    public var maxRequestLine = 8192  // 414 beyond
    public var maxHeaderBytes = 32768  // 431 beyond (whole header section)
    public var maxHeaderCount = 100  // 431 beyond
    public var maxBodyBytes = 1 << 20  // 413 beyond
    public var maxChunkLine = 4096  // chunk size + extensions, 400 beyond
    public var headerTimeout: Duration = .seconds(10)  // 408 and close
    public var bodyTimeout: Duration = .seconds(30)  // 408 and close
    public var idleTimeout: Duration = .seconds(30)  // silent close of an idle keep-alive connection
    public var writeTimeout: Duration = .seconds(30)  // close a client that stops reading
    public var maxConnections = 10_000  // beyond: a new connection displaces an idle or slow one, or waits in the backlog
    public var maxConnectionsPerClient = 256  // open connections from one IP address; beyond: 503 and close. 0: no limit
    /// A connection that has spent `slowGrace` on its current head or body, receiving under
    /// `minReceiveRate` bytes a second on average, is slow: at the connection limit a waiting
    /// client may take its place, as it may an idle one's.
    public var minReceiveRate = 1024
    public var slowGrace: Duration = .milliseconds(500)

    public init() {}
}

/// A request the parser refuses, with the status to answer. The connection always closes after it.
public struct HTTPParseError: Error, Equatable, Sendable {
    public var status: Int
    public var reason: String
    /// Seconds for a Retry-After header (RFC 9110 §10.2.3), for refusals that pass.
    public var retryAfter: Int?
    public init(_ status: Int, _ reason: String, retryAfter: Int? = nil) {
        self.status = status
        self.reason = reason
        self.retryAfter = retryAfter
    }
}
