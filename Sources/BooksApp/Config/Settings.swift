import ASCIIText
import FoundationEssentials
import HTTPServer

/// Every setting of the server, read in this one place: environment first, then `.env`, then the default.
struct Settings: Sendable {
    var host = "0.0.0.0"
    var port = 5000
    var unixSocket: String?
    var unixSocketMode: UInt32 = 0o660
    var dataDir = "./data"
    var mongodbURL: String?
    var mongodbDB = "bookdata"
    var mongodbPoolSize: Int?
    var mongodbMaxTimeMS = 4000
    var staticDir = "client-tier"
    var seedFile = "rawdata/book-data-to-insert.js"
    var fleetSeedFile = "rawdata/fleet-data-to-insert.js"
    var openAPIFile = "docs/openapi.json"
    var corsOrigins: [String] = []
    var apiToken: String?
    var apiTokenFile: String?
    var readsRequireToken = false
    var logLevel = LogLevel.info
    var ioThreads = 2
    var workerThreads = 16
    var workQueueLimit = 1024
    var workQueueTimeout: Duration = .seconds(5)
    var limits = HTTPLimits()
    var shutdownGrace: Duration = .seconds(10)
    var maxPageSize = 1000
    var maxDocumentBytes = 16 * 1024
    var compactMinBytes = 1 << 20
    var holdTTLMinutes = 15
    var batchLimit = 1000

    struct Definition: Sendable {
        let name: String
        let defaultValue: String
        let help: String
        let apply: @Sendable (inout Settings, String) throws(SettingsError) -> Void
    }

    /// The settings table: name, default, one line of help, and how to parse and check the value.
    static let definitions: [Definition] = [
        .init(
            name: "HOST", defaultValue: "0.0.0.0",
            help: "address to listen on; 0.0.0.0: every interface (set API_TOKEN, or writes are open to anyone who can reach it), 127.0.0.1: this machine only"
        ) { s, v throws(SettingsError) in
            guard !v.isEmpty else { throw SettingsError("HOST", v, "must not be empty") }
            s.host = v
        },
        .init(name: "PORT", defaultValue: "5000", help: "TCP port to listen on (0 picks a free one)") { s, v throws(SettingsError) in
            s.port = try int("PORT", v, 0...65535)
        },
        .init(name: "UNIX_SOCKET", defaultValue: "", help: "also listen on this unix socket path (for nginx in front); empty: off") { s, v in
            s.unixSocket = v.isEmpty ? nil : v
        },
        .init(name: "UNIX_SOCKET_MODE", defaultValue: "660", help: "octal permissions of UNIX_SOCKET; the proxy's user must be able to write it") { s, v throws(SettingsError) in
            guard let mode = UInt32(v, radix: 8), mode <= 0o777 else { throw SettingsError("UNIX_SOCKET_MODE", v, "must be octal permissions such as 660") }
            s.unixSocketMode = mode
        },
        .init(name: "DATA_DIR", defaultValue: "./data", help: "directory of the embedded store's journal (used when MONGODB_URL is unset)") { s, v throws(SettingsError) in
            guard !v.isEmpty else { throw SettingsError("DATA_DIR", v, "must not be empty") }
            s.dataDir = v
        },
        .init(name: "MONGODB_URL", defaultValue: "", help: "MongoDB connection string; unset or empty: use the embedded store") { s, v throws(SettingsError) in
            guard v.isEmpty || v.hasPrefix("mongodb://") || v.hasPrefix("mongodb+srv://") else {
                throw SettingsError("MONGODB_URL", "(hidden)", "must start with mongodb:// or mongodb+srv://")
            }
            s.mongodbURL = v.isEmpty ? nil : v
        },
        .init(
            name: "MONGODB_POOL_SIZE", defaultValue: "WORKER_THREADS",
            help:
                "most MongoDB connections (libmongoc client pool size); maxPoolSize in MONGODB_URL wins. With waitQueueTimeoutMS in the URL, a request that waits longer for a connection gets 503"
        ) { s, v throws(SettingsError) in
            s.mongodbPoolSize = try int("MONGODB_POOL_SIZE", v, 1...1024)
        },
        .init(
            name: "MONGODB_MAX_TIME_MS", defaultValue: "4000",
            help:
                "the server-side time limit sent with every MongoDB find and count (maxTimeMS; a query past it answers 504), and the replication deadline of every write (wtimeoutMS, with w=majority, unless MONGODB_URL sets w or wtimeoutMS; past it the write's outcome is unknown: 504). Keep it below the socket timeout (socketTimeoutMS in MONGODB_URL, 5000 unless set there), so MongoDB stops first and the connection is not cut"
        ) { s, v throws(SettingsError) in
            s.mongodbMaxTimeMS = try int("MONGODB_MAX_TIME_MS", v, 1...3_600_000)
        },
        .init(name: "MONGODB_DB", defaultValue: "bookdata", help: "database name when MONGODB_URL has no path") { s, v in s.mongodbDB = v },
        .init(name: "STATIC_DIR", defaultValue: "client-tier", help: "directory served at / (the single-page app); missing: API only") { s, v in s.staticDir = v },
        .init(name: "OPENAPI_FILE", defaultValue: "docs/openapi.json", help: "the OpenAPI document served at /openapi.json") { s, v in s.openAPIFile = v },
        .init(name: "SEED_FILE", defaultValue: "rawdata/book-data-to-insert.js", help: "sample books loaded into a new, empty store") { s, v in s.seedFile = v },
        .init(
            name: "FLEET_SEED_FILE", defaultValue: "rawdata/fleet-data-to-insert.js",
            help: "sample fleet (cars, lorries, trucks and a week of bookings around today) loaded into a new, empty store; empty: none"
        ) { s, v in s.fleetSeedFile = v },
        .init(name: "CORS_ORIGINS", defaultValue: "", help: "comma-separated origins allowed to call the API from a browser, or *; empty: same origin only") {
            s, v throws(SettingsError) in
            let origins = v.split(separator: ",").map { $0.trimmed }.filter { !$0.isEmpty }
            for o in origins where o != "*" && !(o.hasPrefix("http://") || o.hasPrefix("https://")) {
                throw SettingsError("CORS_ORIGINS", v, "each origin must be * or start with http:// or https://")
            }
            s.corsOrigins = origins
        },
        .init(name: "API_TOKEN", defaultValue: "", help: "bearer token every write (POST, PUT, PATCH, DELETE) must send; empty: writes are open") { s, v throws(SettingsError) in
            guard v.isEmpty || AccessPolicy.isValidToken(v) else { throw SettingsError("API_TOKEN", "(hidden)", "must be a bearer token: letters, digits and -._~+/ only") }
            s.apiToken = v.isEmpty ? nil : v
        },
        .init(name: "API_TOKEN_FILE", defaultValue: "", help: "file holding API_TOKEN (e.g. a Docker secret); one trailing newline is ignored") { s, v in
            s.apiTokenFile = v.isEmpty ? nil : v
        },
        .init(name: "READS_REQUIRE_TOKEN", defaultValue: "false", help: "true: reads need the bearer token too (probes, /openapi.json and the SPA's files stay open)") {
            s, v throws(SettingsError) in
            s.readsRequireToken = try bool("READS_REQUIRE_TOKEN", v)
        },
        .init(name: "LOG_LEVEL", defaultValue: "info", help: "debug, info (one access-log line per request), warn, error or off") { s, v throws(SettingsError) in
            guard let level = LogLevel(rawValue: v.lowercased()) else { throw SettingsError("LOG_LEVEL", v, "must be debug, info, warn, error or off") }
            s.logLevel = level
        },
        .init(name: "IO_THREADS", defaultValue: "number of cores", help: "event loops serving sockets (one per core is right)") { s, v throws(SettingsError) in
            s.ioThreads = try int("IO_THREADS", v, 1...256)
        },
        .init(name: "WORKER_THREADS", defaultValue: "16", help: "threads for blocking store work (fsync, MongoDB calls)") { s, v throws(SettingsError) in
            s.workerThreads = try int("WORKER_THREADS", v, 1...1024)
        },
        .init(name: "WORK_QUEUE_LIMIT", defaultValue: "1024", help: "store requests that may wait for a worker; beyond it: 503") { s, v throws(SettingsError) in
            s.workQueueLimit = try int("WORK_QUEUE_LIMIT", v, 1...1_000_000)
        },
        .init(name: "WORK_QUEUE_TIMEOUT", defaultValue: "5", help: "seconds a store request may wait for a worker before 503") { s, v throws(SettingsError) in
            s.workQueueTimeout = try seconds("WORK_QUEUE_TIMEOUT", v)
        },
        .init(name: "MAX_REQUEST_LINE", defaultValue: "8192", help: "longest request line in bytes; longer: 414") { s, v throws(SettingsError) in
            s.limits.maxRequestLine = try int("MAX_REQUEST_LINE", v, 64...1 << 20)
        },
        .init(name: "MAX_HEADER_BYTES", defaultValue: "32768", help: "largest header section in bytes; larger: 431") { s, v throws(SettingsError) in
            s.limits.maxHeaderBytes = try int("MAX_HEADER_BYTES", v, 256...1 << 24)
        },
        .init(name: "MAX_HEADER_COUNT", defaultValue: "100", help: "most header fields in a request; more: 431") { s, v throws(SettingsError) in
            s.limits.maxHeaderCount = try int("MAX_HEADER_COUNT", v, 1...10_000)
        },
        .init(
            name: "MAX_BODY_BYTES", defaultValue: "1048576",
            help:
                "largest request body in bytes on any route; larger: 413. Each route also has its own cap: 4x MAX_DOCUMENT_BYTES for a change of a book or an allocation, 16x for POST /books and booking allocations (room for a batch), 8 KiB for resources, none where no body is taken"
        ) { s, v throws(SettingsError) in
            s.limits.maxBodyBytes = try int("MAX_BODY_BYTES", v, 0...1 << 30)
        },
        .init(name: "HEADER_TIMEOUT", defaultValue: "10", help: "seconds to receive a request head once it has started; then 408 and close") { s, v throws(SettingsError) in
            s.limits.headerTimeout = try seconds("HEADER_TIMEOUT", v)
        },
        .init(name: "BODY_TIMEOUT", defaultValue: "30", help: "seconds to receive a request body; then 408 and close") { s, v throws(SettingsError) in
            s.limits.bodyTimeout = try seconds("BODY_TIMEOUT", v)
        },
        .init(name: "IDLE_TIMEOUT", defaultValue: "30", help: "seconds an idle keep-alive connection stays open") { s, v throws(SettingsError) in
            s.limits.idleTimeout = try seconds("IDLE_TIMEOUT", v)
        },
        .init(name: "WRITE_TIMEOUT", defaultValue: "30", help: "seconds a client may leave a response unread before it is dropped") { s, v throws(SettingsError) in
            s.limits.writeTimeout = try seconds("WRITE_TIMEOUT", v)
        },
        .init(
            name: "MAX_CONNECTIONS", defaultValue: "10000",
            help: "open connections at most; at the limit a new one replaces the longest-idle, or else the slowest (see MIN_RECEIVE_RATE), else waits in the listen backlog"
        ) { s, v throws(SettingsError) in
            s.limits.maxConnections = try int("MAX_CONNECTIONS", v, 1...1_000_000)
        },
        .init(
            name: "MAX_CONNECTIONS_PER_CLIENT", defaultValue: "256",
            help: "open connections from one IP address at most; more are answered 503 and closed. Behind a proxy every client has the proxy's address: set 0 (no limit) there"
        ) { s, v throws(SettingsError) in
            s.limits.maxConnectionsPerClient = try int("MAX_CONNECTIONS_PER_CLIENT", v, 0...1_000_000)
        },
        .init(
            name: "MIN_RECEIVE_RATE", defaultValue: "1024",
            help: "bytes a second below which a request head or body that has taken over 0.5 s counts as slow: at MAX_CONNECTIONS a waiting client may take its place"
        ) { s, v throws(SettingsError) in
            s.limits.minReceiveRate = try int("MIN_RECEIVE_RATE", v, 0...1 << 30)
        },
        .init(name: "SHUTDOWN_GRACE", defaultValue: "10", help: "seconds in-flight requests get to finish after SIGTERM/SIGINT") { s, v throws(SettingsError) in
            s.shutdownGrace = try seconds("SHUTDOWN_GRACE", v)
        },
        .init(name: "MAX_PAGE_SIZE", defaultValue: "1000", help: "largest `limit` for list endpoints (also the default limit)") { s, v throws(SettingsError) in
            s.maxPageSize = try int("MAX_PAGE_SIZE", v, 1...100_000)
        },
        .init(name: "MAX_DOCUMENT_BYTES", defaultValue: "16384", help: "largest stored book, as encoded JSON; larger: 422") { s, v throws(SettingsError) in
            s.maxDocumentBytes = try int("MAX_DOCUMENT_BYTES", v, 256...16 << 20)
        },
        .init(
            name: "HOLD_TTL", defaultValue: "15",
            help: "minutes a hold (an allocation with status tentative) may last at most, and lasts unless it gives expires_at; unconfirmed by then, it frees its slot"
        ) { s, v throws(SettingsError) in
            s.holdTTLMinutes = try int("HOLD_TTL", v, 1...7 * 24 * 60)
        },
        .init(name: "BATCH_LIMIT", defaultValue: "1000", help: "most books or allocations one POST may write at once (an array); more: 422") { s, v throws(SettingsError) in
            s.batchLimit = try int("BATCH_LIMIT", v, 1...100_000)
        },
        .init(name: "COMPACT_MIN_BYTES", defaultValue: "1048576", help: "journal size below which it is never compacted (compaction runs when it also exceeds 2x the live data)") {
            s, v throws(SettingsError) in
            s.compactMinBytes = try int("COMPACT_MIN_BYTES", v, 0...1 << 40)
        },
    ]

    /// Environment variables win over `.env`; a value that does not parse stops start-up, naming the setting.
    static func load(environment: [String: String], dotEnv: [String: String], cores: Int) throws(SettingsError) -> Settings {
        var settings = Settings()
        settings.ioThreads = max(1, cores)
        for definition in definitions {
            guard let value = environment[definition.name] ?? dotEnv[definition.name] else { continue }
            try definition.apply(&settings, value.trimmed)
        }
        try settings.resolveToken()
        return settings
    }

    static var helpText: String {
        var text = """
            BooksAPI: the books and inventory REST server.

            Usage:
              BooksAPI                 serve (the default)
              BooksAPI seed [--replace] load the sample books, and the sample fleet into an empty inventory (--replace: drop existing books and the sample resources first)
              BooksAPI repair          cut the embedded store's journal at its first damaged record, keeping a backup
              BooksAPI healthcheck     exit 0 if the server on PORT answers GET /healthz with 200 (for containers)
              BooksAPI feed-url PATH   print a calendar feed's path (/cars/{id}/allocations.ics) with its read-only feed token
              BooksAPI --help          this text

            Settings come from the environment, then from ./.env, then these defaults:

            """
        let width = definitions.map(\.name.count).max() ?? 0
        for d in definitions {
            let name = d.name + String(repeating: " ", count: width - d.name.count)
            text += "  \(name)  \(d.help) (default: \(d.defaultValue.isEmpty ? "unset" : d.defaultValue))\n"
        }
        return text
    }

    /// API_TOKEN_FILE becomes the token; setting both is a mistake worth stopping for.
    private mutating func resolveToken() throws(SettingsError) {
        if readsRequireToken, apiToken == nil, apiTokenFile == nil {
            throw SettingsError("READS_REQUIRE_TOKEN", "true", "needs API_TOKEN or API_TOKEN_FILE")
        }
        guard let path = apiTokenFile else { return }
        guard apiToken == nil else { throw SettingsError("API_TOKEN_FILE", path, "set API_TOKEN or API_TOKEN_FILE, not both") }
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw SettingsError("API_TOKEN_FILE", path, "cannot be read")
        }
        if text.hasSuffix("\n") { text.removeLast() }
        if text.hasSuffix("\r") { text.removeLast() }
        guard AccessPolicy.isValidToken(text) else {
            throw SettingsError("API_TOKEN_FILE", path, "must hold one bearer token: letters, digits and -._~+/ only")
        }
        apiToken = text
    }

    private static func bool(_ name: String, _ value: String) throws(SettingsError) -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off", "": return false
        default: throw SettingsError(name, value, "must be true or false")
        }
    }

    private static func int(_ name: String, _ value: String, _ range: ClosedRange<Int>) throws(SettingsError) -> Int {
        guard let n = ASCIIDecimal.int(value) else { throw SettingsError(name, value, "must be a whole number (digits only)") }
        guard range.contains(n) else { throw SettingsError(name, value, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return n
    }

    private static func seconds(_ name: String, _ value: String) throws(SettingsError) -> Duration {
        guard let s = Double(value), s.isFinite, s > 0, s <= 86_400 else {
            throw SettingsError(name, value, "must be a number of seconds between 0 and 86400, e.g. 10 or 0.5")
        }
        return .milliseconds(Int64(s * 1000))
    }
}

enum LogLevel: String, Sendable, Comparable {
    case debug, info, warn, error, off
    private var rank: Int { [.debug: 0, .info: 1, .warn: 2, .error: 3, .off: 4][self]! }
    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}

struct SettingsError: Error, CustomStringConvertible {
    let name: String, value: String, reason: String
    init(_ name: String, _ value: String, _ reason: String) {
        self.name = name
        self.value = value
        self.reason = reason
    }
    var description: String { "invalid setting \(name)=\"\(value)\": \(reason)" }
}
