import CMongoC
import Dispatch
import Glibc
import Synchronization

/// The process's one `mongoc_client_pool_t`. A client is popped for one operation on one thread and
/// always pushed back, even when the operation throws.
public final class MongoPool: @unchecked Sendable {  // libmongoc's pool is thread-safe; `uri` and `pool` are immutable
    /// mongoc_init runs once per process; libmongoc's own log keeps warnings and worse, on stderr.
    private static let initialised: Void = {
        mongoc_init()
        mongoc_log_set_handler(
            { level, domain, message, _ in
                guard level.rawValue <= MONGOC_LOG_LEVEL_WARNING.rawValue, let message else { return }
                let line = Array("libmongoc \(domain.map { String(cString: $0) } ?? ""): \(String(cString: message))\n".utf8)
                _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            }, nil)
    }()

    private let uri: OpaquePointer
    /// The pool's address, 0 until it exists (a failed SRV lookup at start delays it).
    private let poolAddress = Atomic<UInt>(0)
    private let lastPoolError = Mutex<String>("")
    public let databaseName: String
    public let maxSize: Int
    private let inUse = Atomic<Int>(0)
    private let waiting = Atomic<Int>(0)

    /// Timeouts libmongoc would otherwise default to 10 s (connect), 30 s (server selection) and
    /// 300 s (socket). Given in the URL, the URL wins.
    public struct Timeouts: Sendable {
        public var connectMS: Int32 = 2000
        public var serverSelectionMS: Int32 = 3000
        public var socketMS: Int32 = 5000
        /// wtimeoutMS of every write, when the URL sets none.
        public var writeConcernMS: Int32 = 4000
        public init() {}
    }

    /// The URL's socketTimeoutMS (or ours): how long a socket waits before libmongoc gives up.
    public let socketTimeoutMS: Int32

    /// The write concern every write carries, for the start-up log: "w=majority, wtimeoutMS=4000".
    public let writeConcern: String

    public init(url: String, defaultDatabase: String, maxSize: Int, timeouts: Timeouts = Timeouts(), appName: String = "BooksAPI") throws(MongoError) {
        _ = Self.initialised
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(url, &error) else { throw .configuration(MongoError(error).description) }
        for (option, value) in [
            (MONGOC_URI_CONNECTTIMEOUTMS, timeouts.connectMS), (MONGOC_URI_SERVERSELECTIONTIMEOUTMS, timeouts.serverSelectionMS),
            (MONGOC_URI_SOCKETTIMEOUTMS, timeouts.socketMS),
        ] where !mongoc_uri_has_option(uri, option) {
            mongoc_uri_set_option_as_int32(uri, option, value)
        }
        if !mongoc_uri_has_option(uri, MONGOC_URI_APPNAME) { mongoc_uri_set_appname(uri, appName) }
        socketTimeoutMS = mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, timeouts.socketMS)
        guard let concern = Self.defaultWriteConcern(uri, timeoutMS: timeouts.writeConcernMS) else {
            mongoc_uri_destroy(uri)
            throw .configuration("w=0 asks for unacknowledged writes, which cannot back a 2xx; use w=1 or w=majority (the default)")
        }
        writeConcern = concern
        // maxPoolSize in the URL wins over the setting (libmongoc reads it when creating the pool).
        if mongoc_uri_has_option(uri, MONGOC_URI_MAXPOOLSIZE) {
            self.maxSize = Int(max(1, mongoc_uri_get_option_as_int32(uri, MONGOC_URI_MAXPOOLSIZE, 100)))
        } else {
            self.maxSize = max(1, maxSize)
        }
        self.uri = uri
        if let path = mongoc_uri_get_database(uri), path.pointee != 0 {
            databaseName = String(cString: path)
        } else {
            databaseName = defaultDatabase
        }
        switch makePool() {
        case .success: break
        case .failure(let failure):
            // A mongodb+srv:// URL resolves its SRV record here; a lookup that fails (DNS down at
            // start) is retried in the background, unreachable meanwhile. Anything else is a bad URL.
            guard case .unreachable = failure, url.hasPrefix("mongodb+srv://") else {
                mongoc_uri_destroy(uri)
                throw .configuration(failure.description)
            }
            retryPool(afterMS: 500)
        }
    }

    /// Creates the libmongoc pool (resolving a mongodb+srv:// URL's SRV record) and publishes it.
    private func makePool() -> Result<Void, MongoError> {
        var error = bson_error_t()
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            let failure = MongoError(error)
            lastPoolError.withLock { $0 = failure.message }
            return .failure(failure)
        }
        mongoc_client_pool_set_error_api(pool, Int32(MONGOC_ERROR_API_VERSION_2))
        if !mongoc_uri_has_option(uri, MONGOC_URI_MAXPOOLSIZE) { mongoc_client_pool_max_size(pool, UInt32(maxSize)) }
        poolAddress.store(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(pool))), ordering: .releasing)
        return .success(())
    }

    /// Tries `makePool` again after `delay`, doubling it up to 30 s, until it succeeds.
    private func retryPool(afterMS delay: Int) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) { [weak self] in
            guard let self, case .failure = self.makePool() else { return }
            self.retryPool(afterMS: min(delay * 2, 30_000))
        }
    }

    /// Why the pool does not exist yet (a failed SRV lookup being retried), or nil once it does.
    public var pendingLookup: String? { pool == nil ? lastPoolError.withLock { $0 } : nil }

    /// The libmongoc pool, once created.
    private var pool: OpaquePointer? {
        let address = poolAddress.load(ordering: .acquiring)
        return address == 0 ? nil : OpaquePointer(bitPattern: address)
    }

    /// Writes wait for a majority, with a deadline, unless the URL sets `w`: the implicit default
    /// is w:1 on a primary-secondary-arbiter set, and a w:1 write a failover rolls back was
    /// acknowledged all the same (https://www.mongodb.com/docs/manual/reference/write-concern/).
    /// A URL `w` without `wtimeoutMS` gets the deadline too. nil: the URL says `w=0`, which the
    /// server refuses, since an unacknowledged write could be lost after its 2xx.
    private static func defaultWriteConcern(_ uri: OpaquePointer, timeoutMS: Int32) -> String? {
        guard let current = mongoc_uri_get_write_concern(uri), let concern = mongoc_write_concern_copy(current) else { return "libmongoc's default" }
        defer { mongoc_write_concern_destroy(concern) }
        let w = mongoc_write_concern_get_w(concern)
        if w == 0 { return nil }
        if w == MONGOC_WRITE_CONCERN_W_DEFAULT {
            mongoc_write_concern_set_wmajority(concern, timeoutMS)
        } else if !mongoc_uri_has_option(uri, MONGOC_URI_WTIMEOUTMS) {
            mongoc_write_concern_set_wtimeout_int64(concern, Int64(timeoutMS))
        }
        mongoc_uri_set_write_concern(uri, concern)
        let now = mongoc_write_concern_get_w(concern)
        let name = now == MONGOC_WRITE_CONCERN_W_MAJORITY ? "majority" : mongoc_write_concern_get_wtag(concern).map { String(cString: $0) } ?? String(now)
        return "w=\(name), wtimeoutMS=\(mongoc_write_concern_get_wtimeout_int64(concern))"
    }

    deinit {
        if let pool { mongoc_client_pool_destroy(pool) }
        mongoc_uri_destroy(uri)
    }

    /// Clients in use and callers waiting for one, for metrics.
    public var load: (inUse: Int, waiting: Int) { (inUse.load(ordering: .relaxed), waiting.load(ordering: .relaxed)) }

    /// Runs `body` with a client popped from the pool (blocking while all are busy), then returns it.
    /// With waitQueueTimeoutMS in the URL, the pop gives up after that long and returns NULL
    /// (libmongoc's mongoc_client_pool_pop): the caller gets `.poolExhausted`, never a crash.
    func withClient<T>(_ body: (OpaquePointer) throws(MongoError) -> T) throws(MongoError) -> T {
        guard let pool else {
            throw .unreachable("the MongoDB URL's SRV lookup failed at start and is being retried: \(lastPoolError.withLock { $0 })")
        }
        waiting.add(1, ordering: .relaxed)
        let popped = mongoc_client_pool_pop(pool)
        waiting.subtract(1, ordering: .relaxed)
        guard let client = popped else { throw .poolExhausted("all \(maxSize) pooled connections stayed busy past waitQueueTimeoutMS") }
        inUse.add(1, ordering: .relaxed)
        defer {
            mongoc_client_pool_push(pool, client)
            inUse.subtract(1, ordering: .relaxed)
        }
        let started = Self.monotonicMS()
        do throws(MongoError) {
            return try body(client)
        } catch .connectionLost(let message) {
            // A socket that failed after socketTimeoutMS timed out; sooner, it was reset or closed.
            throw Self.monotonicMS() - started >= Int64(socketTimeoutMS) ? .timeout(message) : .unreachable(message)
        }
    }

    private static func monotonicMS() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// A collection of the configured database, valid for the duration of `body` only.
    public func collection<T>(_ name: String, _ body: (MongoCollection) throws(MongoError) -> T) throws(MongoError) -> T {
        try withClient { (client) throws(MongoError) -> T in
            guard let handle = mongoc_client_get_collection(client, databaseName, name) else { throw .driver("mongoc_client_get_collection returned NULL") }
            defer { mongoc_collection_destroy(handle) }
            return try body(MongoCollection(handle: handle, client: client, database: databaseName, name: name))
        }
    }

    /// `{ping: 1}` against the admin database: throws if no server is usable.
    public func ping() throws(MongoError) { _ = try runCommand(["ping": .int32(1)]) }

    /// One command against `database` (admin by default), on the primary; returns the reply.
    public func runCommand(_ command: Document, database: String = "admin") throws(MongoError) -> Document {
        try withClient { (client) throws(MongoError) -> Document in
            let handle = try BSONHandle(command)
            var error = bson_error_t()
            let (ok, reply) = withReply { mongoc_client_command_simple(client, database, handle.pointer, nil, $0, &error) }
            if !ok { throw MongoError(error, reply: reply) }
            return reply ?? [:]
        }
    }
}
