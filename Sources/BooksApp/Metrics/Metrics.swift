import Glibc
import HTTPServer
import MongoBridge

/// Everything GET /metrics reports (Prometheus text format 0.0.4). Recording is a few relaxed
/// atomic adds on fixed counters; rendering happens only when scraped.
final class Metrics: ResponseRecorder, @unchecked Sendable {  // late-bound sources are set once, before the server starts
    static let statuses = [
        200, 201, 204, 206, 304, 400, 401, 404, 405, 408, 409, 412, 413, 414, 415, 416, 417, 422, 431,
        500, 501, 503, 504, 505, 507,
    ]
    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"]
    /// Status code → column; codes not listed share the last column, labelled by class ("2xx"...).
    private static let statusColumn: [UInt8] = {
        var table = [UInt8](repeating: UInt8(statuses.count), count: 600)
        for (i, status) in statuses.enumerated() { table[status] = UInt8(i) }
        return table
    }()
    private static let columns = statuses.count + 5  // the listed codes, then 1xx...5xx for the rest

    /// One series per route of `Route.table`, and one for requests that matched none.
    static let routeLabels = Route.table.map(\.template) + ["(other)"]
    private let requests = AtomicCounters(count: routeLabels.count * methods.count * columns)
    private let latency = LatencyHistograms(series: routeLabels.count)
    private let inFlight = AtomicCounters(count: 1)
    let store = StoreMetrics()

    var openConnections: (@Sendable () -> Int)?
    var displacedConnections: (@Sendable () -> Int)?
    var refusedConnections: (@Sendable () -> Int)?
    var workPool: WorkPool?
    var mongoPool: MongoPool?

    // MARK: recording

    func record(method: HTTPMethod, route index: Int, status: Int, nanos: UInt64) {
        let route = (0..<Route.unmatched).contains(index) ? index : Route.unmatched
        requests.add((route * Self.methods.count + Self.methodIndex(method)) * Self.columns + Self.column(status))
        latency.observe(route, nanos: nanos)
    }

    func requestStarted() { inFlight.add(0, 1) }
    func requestFinished() { inFlight.add(0, -1) }

    private static func methodIndex(_ method: HTTPMethod) -> Int {
        switch method {
        case .get: 0
        case .head: 1
        case .post: 2
        case .put: 3
        case .patch: 4
        case .delete: 5
        case .options: 6
        case .other: 7
        }
    }

    private static func column(_ status: Int) -> Int {
        guard (100..<600).contains(status) else { return columns - 1 }
        let listed = Int(statusColumn[status])
        return listed < statuses.count ? listed : statuses.count + status / 100 - 1
    }

    private static func statusLabel(_ column: Int) -> String {
        column < statuses.count ? String(statuses[column]) : "\(column - statuses.count + 1)xx"
    }

    // MARK: rendering

    func render() -> [UInt8] {
        var text = ""
        text.reserveCapacity(16 * 1024)
        PrometheusText.header("booksapi_http_requests_total", "counter", "HTTP responses by route template, method and status.", into: &text)
        for route in Self.routeLabels.indices {
            for method in Self.methods.indices {
                for column in 0..<Self.columns {
                    let n = requests.load((route * Self.methods.count + method) * Self.columns + column)
                    if n > 0 {
                        text +=
                            "booksapi_http_requests_total{route=\"\(Self.routeLabels[route])\",method=\"\(Self.methods[method])\",status=\"\(Self.statusLabel(column))\"} \(n)\n"
                    }
                }
            }
        }
        PrometheusText.header("booksapi_http_request_duration_seconds", "histogram", "Time from a complete request head to its response, by route template.", into: &text)
        for route in Self.routeLabels.indices where latency.count(route) > 0 {
            latency.render(route, name: "booksapi_http_request_duration_seconds", labels: "route=\"\(Self.routeLabels[route])\"", into: &text)
        }
        gauge("booksapi_http_requests_in_flight", "Requests the application is working on.", inFlight.load(0), into: &text)
        gauge("booksapi_http_connections_open", "Client connections open.", openConnections?() ?? 0, into: &text)
        PrometheusText.header("booksapi_http_connections_displaced_total", "counter", "Idle or slow connections closed to admit a waiting client at MAX_CONNECTIONS.", into: &text)
        text += "booksapi_http_connections_displaced_total \(displacedConnections?() ?? 0)\n"
        PrometheusText.header(
            "booksapi_http_connections_refused_total", "counter", "Connections refused at once because their address had MAX_CONNECTIONS_PER_CLIENT open.", into: &text)
        text += "booksapi_http_connections_refused_total \(refusedConnections?() ?? 0)\n"
        store.render(into: &text)
        if let workPool {
            let load = workPool.load
            gauge("booksapi_work_pool_busy", "Work pool threads running a blocking store call.", load.running, into: &text)
            gauge("booksapi_work_pool_waiting", "Store calls queued for a work pool thread.", load.waiting, into: &text)
            gauge("booksapi_work_pool_threads", "Work pool size (WORKER_THREADS).", workPool.threadCount, into: &text)
        }
        if let mongoPool {
            let load = mongoPool.load
            gauge("booksapi_mongodb_pool_in_use", "MongoDB clients checked out of the pool.", load.inUse, into: &text)
            gauge("booksapi_mongodb_pool_waiting", "Threads waiting for a MongoDB client.", load.waiting, into: &text)
            gauge("booksapi_mongodb_pool_size", "Most MongoDB clients (MONGODB_POOL_SIZE).", mongoPool.maxSize, into: &text)
        }
        processMetrics(into: &text)
        return Array(text.utf8)
    }

    private func gauge(_ name: String, _ help: String, _ value: Int, into text: inout String) {
        PrometheusText.header(name, "gauge", help, into: &text)
        text += "\(name) \(value)\n"
    }

    /// The standard process metrics, from /proc/self.
    private func processMetrics(into text: inout String) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpuMicros = (Int(usage.ru_utime.tv_sec) + Int(usage.ru_stime.tv_sec)) * 1_000_000 + Int(usage.ru_utime.tv_usec) + Int(usage.ru_stime.tv_usec)
        PrometheusText.header("process_cpu_seconds_total", "counter", "User and system CPU time spent.", into: &text)
        text += "process_cpu_seconds_total \(PrometheusText.seconds(UInt64(cpuMicros) * 1000))\n"
        if let statm = Self.readSmallFile("/proc/self/statm"), let rss = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            gauge("process_resident_memory_bytes", "Resident memory size in bytes.", rss * Int(sysconf(Int32(_SC_PAGESIZE))), into: &text)
        }
        if let dir = opendir("/proc/self/fd") {
            var count = -3  // ".", ".." and the directory's own descriptor
            while readdir(dir) != nil { count += 1 }
            closedir(dir)
            gauge("process_open_fds", "Open file descriptors.", count, into: &text)
        }
    }

    private static func readSmallFile(_ path: String) -> String? {
        (try? FileBytes.read(path: path)).map { String(decoding: $0, as: UTF8.self) }
    }
}
