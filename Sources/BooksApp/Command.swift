import FoundationEssentials
import Glibc
import HTTPServer
import JSON
import MongoBridge

/// The commands of the BooksAPI executable: `BooksAPI [serve | seed [--replace] | repair |
/// healthcheck | --help]`. The executable's `main` only calls `run`.
public enum Command {
    public static func run(_ arguments: [String]) -> Never {
        // Block the shutdown signals before any thread starts, so every thread inherits the mask
        // and only `sigwait` below sees them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        if arguments.contains("--help") || arguments.contains("-h") {
            print(Settings.helpText, terminator: "")
            exit(0)
        }
        let settings: Settings
        do {
            settings = try Settings.load(
                environment: ProcessInfo.processInfo.environment, dotEnv: DotEnv.load(path: ".env"),
                cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        } catch {
            fail("\(error)", code: 2)
        }
        switch arguments.first {
        case nil, "serve": serve(settings)
        case "seed": seed(settings, replace: arguments.contains("--replace"))
        case "repair": repair(settings)
        case "healthcheck": exit(Healthcheck.run(port: settings.port))
        case "feed-url": feedURL(settings, path: arguments.dropFirst().first)
        default: fail("unknown command \(arguments[0]); see BooksAPI --help", code: 2)
        }
    }

    /// Prints a calendar feed's path with its feed token, for a calendar application to subscribe to.
    static func feedURL(_ settings: Settings, path: String?) -> Never {
        guard let path, path.hasPrefix("/"), path.hasSuffix("/allocations.ics"), !path.contains("?") else {
            fail("usage: BooksAPI feed-url /cars/{id}/allocations.ics (or /cars/allocations.ics)", code: 2)
        }
        guard let token = settings.apiToken else {
            print(path)  // no token: feeds are open
            exit(0)
        }
        print(path + "?feed_token=" + AccessPolicy.feedToken(path: path, token: token))
        exit(0)
    }

    static func serve(_ settings: Settings) -> Never {
        raiseFileLimit()
        let sink = LogSink()
        let log = AppLog(sink: sink, level: settings.logLevel)
        let store = openStore(settings, log: log)
        let pool = WorkPool(threads: settings.workerThreads, maxQueued: settings.workQueueLimit, queueTimeout: settings.workQueueTimeout)
        // Lists and other reads that may be heavy, at a lower CPU priority than the event loops and writes.
        let readPool = WorkPool(threads: settings.workerThreads, maxQueued: settings.workQueueLimit, queueTimeout: settings.workQueueTimeout, niceness: 10, name: "read")
        let staticSite = StaticSite(directory: settings.staticDir)
        if let staticSite {
            log.info("serving \(staticSite.files.count) files from STATIC_DIR \(staticSite.root) (read at start)")
        } else {
            log.info("STATIC_DIR \(settings.staticDir) does not exist: serving the API only")
        }
        let openAPI = FileManager.default.contents(atPath: settings.openAPIFile).map { [UInt8]($0) }
        if openAPI == nil { log.warn("OPENAPI_FILE \(settings.openAPIFile) not found: /openapi.json answers 404") }
        if settings.apiToken == nil, !isLoopback(settings.host) {
            log.warn(
                "WARNING: anyone who can reach \(settings.host):\(settings.port) can create, change and delete every book and booking: "
                    + "no API_TOKEN is set. Set API_TOKEN (or API_TOKEN_FILE), or HOST=127.0.0.1 to serve this machine only")
        }
        if settings.apiToken != nil {
            log.info("writes need a bearer token (API_TOKEN\(settings.apiTokenFile == nil ? "" : "_FILE")); reads \(settings.readsRequireToken ? "do too" : "are open")")
        }
        let metrics = Metrics()
        metrics.workPool = pool
        metrics.mongoPool = (store as? MongoStore)?.pool
        let app = App(store: store, pool: pool, readPool: readPool, settings: settings, log: log, metrics: metrics, staticSite: staticSite, openAPI: openAPI)
        var configuration = ServerConfiguration()
        configuration.host = settings.host
        configuration.port = settings.port
        configuration.unixSocketPath = settings.unixSocket
        configuration.unixSocketMode = settings.unixSocketMode
        configuration.ioThreads = settings.ioThreads
        configuration.limits = settings.limits
        configuration.accessLog = settings.logLevel <= .info ? sink : nil
        configuration.metrics = metrics
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: configuration, handler: app)
        } catch {
            fail("cannot listen: \(error)", code: 1)
        }
        metrics.openConnections = { [unowned server] in server.openConnections }
        metrics.displacedConnections = { [unowned server] in server.displacedConnections }
        metrics.refusedConnections = { [unowned server] in server.refusedConnections }
        server.start()
        log.info(
            "listening on http://\(settings.host):\(server.port)\(settings.unixSocket.map { " and unix:\($0)" } ?? "") with \(settings.ioThreads) I/O threads, \(settings.workerThreads) workers, store: \(settings.mongodbURL.map { "MongoDB \(Redaction.mongoURL($0))" } ?? "embedded (\(settings.dataDir))")"
        )

        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        var received: Int32 = 0
        sigwait(&signals, &received)
        log.info("received \(received == SIGTERM ? "SIGTERM" : "SIGINT"); finishing in-flight requests (up to \(settings.shutdownGrace))")
        server.shutdown(grace: settings.shutdownGrace)
        log.info("stopped")
        sink.flush()
        exit(0)
    }

    static func openStore(_ settings: Settings, log: AppLog) -> Store {
        if let url = settings.mongodbURL {
            let pool: MongoPool
            var timeouts = MongoPool.Timeouts()
            timeouts.writeConcernMS = Int32(clamping: settings.mongodbMaxTimeMS)
            do {
                pool = try MongoPool(url: url, defaultDatabase: settings.mongodbDB, maxSize: settings.mongodbPoolSize ?? settings.workerThreads, timeouts: timeouts)
            } catch {
                fail("invalid setting MONGODB_URL=\"\(Redaction.mongoURL(url))\": \(Redaction.mongoURL(error.description))", code: 2)
            }
            let store = MongoStore(pool: pool, maxDocumentBytes: settings.maxDocumentBytes, maxTimeMS: settings.mongodbMaxTimeMS)
            if let lookup = pool.pendingLookup {
                log.warn("MONGODB_URL's SRV lookup failed (\(Redaction.mongoURL(lookup))); retrying in the background, /readyz answers 503 until it succeeds")
            }
            log.info("MongoDB writes carry \(pool.writeConcern)")
            store.ensureIndexes(log: log)
            store.startMoveRecovery(log: log)
            return store
        }
        do {
            let store = try EmbeddedStore(directory: settings.dataDir, maxDocumentBytes: settings.maxDocumentBytes, compactMinBytes: settings.compactMinBytes)
            for note in store.openNotes { log.warn("embedded store \(settings.dataDir): \(note)") }
            store.startHoldSweep(log: log)
            if store.isNew {
                do {
                    let count = try seedBooks(into: store, settings: settings, replace: false)
                    log.info("new store in \(settings.dataDir): loaded \(count) sample books from \(settings.seedFile)")
                } catch {
                    log.warn("new store in \(settings.dataDir) starts empty: \(error)")
                }
                if !settings.fleetSeedFile.isEmpty {
                    do {
                        let n = try seedFleet(into: store, settings: settings, replace: false)
                        log.info(
                            "new store in \(settings.dataDir): loaded the sample fleet (\(n.resources) resources, \(n.allocations) allocations) from \(settings.fleetSeedFile)")
                    } catch {
                        log.warn("new store in \(settings.dataDir) has no sample fleet: \(describe(error))")
                    }
                }
            }
            return store
        } catch {
            fail("cannot open the embedded store: \(describe(error))", code: 1)
        }
    }

    static func seedBooks(into store: BookStore, settings: Settings, replace: Bool) throws(StoreError) -> Int {
        let validator = BookValidator(maxDocumentBytes: settings.maxDocumentBytes)
        var books: [JSONObject] = []
        for (i, raw) in try SeedFile.books(path: settings.seedFile).enumerated() {
            guard case .string(let id)? = raw.objectValue?["id"] else { throw .invalid("seed book #\(i + 1) has no string id") }
            switch validator.newBook(raw, id: id, allowIDInBody: true) {
            case .success(let book): books.append(book)
            case .failure(let errors): throw .invalid("seed book \(id): \(errors.list.map { "\($0.field) \($0.message)" }.joined(separator: "; "))")
            }
        }
        return try store.seedBooks(books, replace: replace)
    }

    static func seedFleet(into store: any InventoryStore, settings: Settings, replace: Bool) throws(StoreError) -> (resources: Int, allocations: Int) {
        try SampleFleet.load(into: store, path: settings.fleetSeedFile, now: Timestamp.now(), holdTTLMillis: Int64(settings.holdTTLMinutes) * 60_000, replace: replace)
    }

    static func seed(_ settings: Settings, replace: Bool) -> Never {
        let log = AppLog(sink: nil, level: .off)
        let store = openStore(settings, log: log)
        do {
            let count = try seedBooks(into: store, settings: settings, replace: replace)
            print("seeded \(count) books from \(settings.seedFile)\(replace ? " (replacing existing books)" : "")")
            if !settings.fleetSeedFile.isEmpty {
                let empty = try SampleFleet.inventoryIsEmpty(store)
                if replace || empty {
                    let n = try seedFleet(into: store, settings: settings, replace: replace)
                    print("seeded the sample fleet: \(n.resources) resources, \(n.allocations) allocations from \(settings.fleetSeedFile)")
                } else {
                    print("the inventory is not empty: the sample fleet was not loaded (--replace loads it over the sample resources)")
                }
            }
            exit(0)
        } catch {
            fail("seeding failed: \(describe(error))", code: 1)
        }
    }

    static func repair(_ settings: Settings) -> Never {
        do {
            print(try EmbeddedStore.repair(directory: settings.dataDir))
            exit(0)
        } catch {
            fail("repair failed: \(describe(error))", code: 1)
        }
    }

    static func describe(_ error: Error) -> String {
        guard let error = error as? StoreError else { return "\(error)" }
        switch error {
        case .corrupt(let m), .unavailable(let m), .invalid(let m), .storageFull(let m), .timeout(let m), .misconfigured(let m), .outcomeUnknown(let m, _), .full(let m): return m
        case .duplicateID(let id): return "duplicate id \(id)"
        case .documentTooLarge(let limit): return "document larger than \(limit) bytes"
        case .pendingWrite(let ticket): return "waiting for journal write \(ticket)"
        }
    }

    /// Whether HOST only accepts connections from this machine.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// 10,000 connections need more descriptors than the usual soft limit of 1024.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    static func fail(_ message: String, code: Int32) -> Never {
        let line = Array("BooksAPI: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(code)
    }
}
