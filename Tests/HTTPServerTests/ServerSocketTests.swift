import Dispatch
import Glibc
import TestSupport
import XCTest

@testable import HTTPServer

/// Holds /gated requests until the test opens the gate (a stand-in for a blocking store),
/// answers everything else at once.
final class GatedHandler: HTTPHandler, @unchecked Sendable {  // `held` is guarded by `lock`
    private let lock = ConditionLock()
    private var held: [ResponseContext] = []

    /// Answers every /gated request received so far.
    func openGate() {
        let waiting = lock.withLock { () -> [ResponseContext] in
            defer { held = [] }; return held
        }
        for context in waiting { context.complete(HTTPResponse(status: 200, contentType: "text/plain", body: Array("gated".utf8))) }
    }

    /// Waits until `count` /gated requests are held (the server has read them).
    func waitUntilHolding(_ count: Int) -> Bool {
        for _ in 0..<1000 {
            if lock.withLock({ held.count }) >= count { return true }
            usleep(5_000)
        }
        return false
    }

    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult {
        if request.path == "/gated" {
            lock.withLock { held.append(context) }
            return .deferred
        }
        return .respond(HTTPResponse(status: 200, contentType: "text/plain", body: Array("fast \(request.path)".utf8)))
    }
}

final class ServerSocketTests: XCTestCase {
    private let handler = GatedHandler()

    private func server(_ configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> HTTPServer {
        var c = ServerConfiguration()
        c.host = "127.0.0.1"
        c.port = 0
        c.ioThreads = 2
        configure(&c)
        let server = try HTTPServer(configuration: c, handler: handler)
        server.start()
        return server
    }

    /// The held request is answered only after every fast one, so a stall shows as a read
    /// timeout, not as a wall-clock bound that a loaded machine could miss.
    func testHeldRequestDoesNotStallOtherConnections() throws {
        let s = try server { $0.ioThreads = 1 }
        defer { s.shutdown(grace: .seconds(2)) }
        let held = try RawHTTPClient(port: s.port)
        held.send("GET /gated HTTP/1.1\r\nHost: a\r\n\r\n")
        for i in 0..<20 {
            let fast = try RawHTTPClient(port: s.port, timeoutSeconds: 5)
            XCTAssertEqual(try fast.request("GET", "/f\(i)").text, "fast /f\(i)", "a fast request waited for the held one")
        }
        handler.openGate()
        XCTAssertEqual(try held.readResponse().text, "gated")
    }

    func testPipelinedBehindAHeldRequestStayInOrder() throws {
        let s = try server()
        defer { s.shutdown(grace: .seconds(2)) }
        let c = try RawHTTPClient(port: s.port, timeoutSeconds: 5)
        c.send("GET /gated HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n")
        c.setTimeout(seconds: 0, milliseconds: 300)
        XCTAssertThrowsError(try c.readResponse(), "the request behind the held one was answered first")
        handler.openGate()
        c.setTimeout(seconds: 5)
        XCTAssertEqual(try c.readResponse().text, "gated")
        XCTAssertEqual(try c.readResponse().text, "fast /after")
    }

    func testHeaderTimeoutAnswers408AndCloses() throws {
        let s = try server { $0.limits.headerTimeout = .milliseconds(300) }
        defer { s.shutdown(grace: .seconds(2)) }
        let c = try RawHTTPClient(port: s.port, timeoutSeconds: 3)
        c.send("GET / HTTP/1.1\r\nHost:")
        XCTAssertEqual(try c.readResponse().status, 408)
        XCTAssertTrue(c.isClosedByPeer())
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let s = try server { $0.limits.idleTimeout = .milliseconds(300) }
        defer { s.shutdown(grace: .seconds(2)) }
        let c = try RawHTTPClient(port: s.port, timeoutSeconds: 3)
        XCTAssertEqual(try c.request("GET", "/x").status, 200)
        let start = monotonicNanos()
        XCTAssertTrue(c.isClosedByPeer())
        XCTAssertLessThan(monotonicNanos() - start, 2_000_000_000)
    }

    func testAtTheLimitClientsWaitWhileEveryConnectionIsBusy() throws {
        let s = try server {
            $0.limits.maxConnections = 2; $0.ioThreads = 1
        }
        defer { s.shutdown(grace: .seconds(2)) }
        let a = try RawHTTPClient(port: s.port)
        let b = try RawHTTPClient(port: s.port)
        a.send("GET /gated HTTP/1.1\r\nHost: a\r\n\r\n")
        b.send("GET /gated HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertTrue(handler.waitUntilHolding(2))
        let waiting = try RawHTTPClient(port: s.port, timeoutSeconds: 0)
        waiting.setTimeout(seconds: 0, milliseconds: 400)
        waiting.send("GET /c HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertThrowsError(try waiting.readResponse(), "a third connection was served beyond the limit, or displaced a busy one")
        handler.openGate()  // both become idle: the waiting client may take the place of one
        XCTAssertEqual(try a.readResponse().text, "gated")
        XCTAssertEqual(try b.readResponse().text, "gated")
        waiting.setTimeout(seconds: 3)
        XCTAssertEqual(try waiting.readResponse().text, "fast /c")
    }

    func testAtTheLimitAWaitingClientDisplacesTheLongestIdleConnection() throws {
        let s = try server {
            $0.limits.maxConnections = 2; $0.ioThreads = 1
        }
        defer { s.shutdown(grace: .seconds(2)) }
        let silent = try RawHTTPClient(port: s.port, timeoutSeconds: 3)  // connected, never sends a byte
        usleep(20_000)
        let keptAlive = try RawHTTPClient(port: s.port, timeoutSeconds: 3)
        XCTAssertEqual(try keptAlive.request("GET", "/b").status, 200)
        usleep(20_000)
        let newcomer = try RawHTTPClient(port: s.port, timeoutSeconds: 3)
        XCTAssertEqual(try newcomer.request("GET", "/c").text, "fast /c", "served at once, not after a timeout")
        XCTAssertTrue(silent.isClosedByPeer(), "the longest-idle connection gave its place")
        usleep(20_000)
        let another = try RawHTTPClient(port: s.port, timeoutSeconds: 3)
        XCTAssertEqual(try another.request("GET", "/d").text, "fast /d")
        XCTAssertTrue(keptAlive.isClosedByPeer(), "then the next longest-idle")
        XCTAssertEqual(try newcomer.request("GET", "/e").text, "fast /e", "the more recent connection stayed")
        XCTAssertEqual(s.displacedConnections, 2)
    }

    func testAFloodAtTheLimitDisplacesOnlyTheLongestIdle() throws {
        let s = try server {
            $0.limits.maxConnections = 200; $0.ioThreads = 1
        }
        defer { s.shutdown(grace: .seconds(2)) }
        var silent: [RawHTTPClient] = []
        for _ in 0..<199 { silent.append(try RawHTTPClient(port: s.port, timeoutSeconds: 3)) }
        usleep(20_000)
        let recent = try RawHTTPClient(port: s.port, timeoutSeconds: 3)
        XCTAssertEqual(try recent.request("GET", "/recent").status, 200)
        for i in 0..<20 {
            let newcomer = try RawHTTPClient(port: s.port, timeoutSeconds: 3)
            XCTAssertEqual(try newcomer.request("GET", "/n\(i)").text, "fast /n\(i)")
            withExtendedLifetime(newcomer) {}  // closed here by the client: frees its own place
        }
        let closed = silent.filter { client in
            var byte: UInt8 = 0
            return recv(client.fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK)) == 0
        }
        XCTAssertGreaterThanOrEqual(closed.count, 1)
        XCTAssertLessThanOrEqual(closed.count, 20, "one place per waiting client, no more")
        XCTAssertEqual(try recent.request("GET", "/still").text, "fast /still", "the recently active connection kept its place")
    }

    /// Random clients at a small limit: silent ones, kept-alive ones, half-sent heads, leavers.
    /// A new client with a whole request is always answered (room, an idle place to take, or a
    /// half-sent head timing out); a kept-alive client is answered or finds its idle connection
    /// closed, never a wrong answer or a hang; the limit holds throughout (+1 while displacing).
    func testRandomClientsAtTheLimit() throws {
        let limit = 16
        let s = try server {
            $0.limits.maxConnections = limit; $0.limits.headerTimeout = .seconds(1)
        }
        defer { s.shutdown(grace: .seconds(2)) }
        var generator = SeededGenerator(seed: 0x5EED_16)
        func random(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
        let firstSeed = generator.seed
        enum State { case silent, idle, partial }
        var clients: [(client: RawHTTPClient, state: State)] = []
        for step in 0..<300 {
            let context = "step \(step), seed \(firstSeed)"
            switch random(6) {
            case 0:
                clients.append((try RawHTTPClient(port: s.port, timeoutSeconds: 5), .silent))
            case 1, 2:
                let c = try RawHTTPClient(port: s.port, timeoutSeconds: 5)
                XCTAssertEqual(try c.request("GET", "/new\(step)").text, "fast /new\(step)", context)
                clients.append((c, .idle))
            case 3 where !clients.isEmpty:
                let i = random(clients.count)
                clients[i].client.send("GET /half HTTP/1.1\r\nHo")
                clients[i].state = .partial
            case 4 where !clients.isEmpty:
                clients.remove(at: random(clients.count))
            case 5 where !clients.isEmpty:
                let i = random(clients.count)
                guard clients[i].state != .partial else { continue }
                let c = clients[i].client
                c.send("GET /again\(step) HTTP/1.1\r\nHost: a\r\n\r\n")
                if let answer = try? c.readResponse() {
                    XCTAssertEqual(answer.text, "fast /again\(step)", context)
                    clients[i].state = .idle
                } else {
                    XCTAssertTrue(c.isClosedByPeer(), "neither answered nor closed: \(context)")
                    clients.remove(at: i)
                }
            default:
                continue
            }
            XCTAssertLessThanOrEqual(s.openConnections, limit + 1, context)
        }
        XCTAssertGreaterThan(s.displacedConnections, 0, "the limit was reached and idle places were taken")
        clients.removeAll()
        for _ in 0..<300 where s.openConnections > 0 { usleep(10_000) }
        XCTAssertEqual(s.openConnections, 0, "every connection closed once its client left (seed \(firstSeed))")
        XCTAssertEqual(try RawHTTPClient(port: s.port).request("GET", "/after").text, "fast /after")
    }

    func testManyIdleConnectionsNeedNoThreads() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let s = try server { $0.limits.maxConnectionsPerClient = 0 }  // all 1,500 come from 127.0.0.1
        defer { s.shutdown(grace: .seconds(2)) }
        let threadsBefore = Self.threadCount()
        var clients: [RawHTTPClient] = []
        for i in 0..<1500 {
            let c = try RawHTTPClient(port: s.port)
            if i % 100 == 0 { XCTAssertEqual(try c.request("GET", "/ping").status, 200) }
            clients.append(c)
        }
        // A thread per connection would add 1,500; the margin absorbs Dispatch's own pool.
        XCTAssertLessThanOrEqual(Self.threadCount(), threadsBefore + 8, "idle connections must not cost threads")
        XCTAssertEqual(try clients[1499].request("GET", "/last").text, "fast /last")
    }

    func testGracefulShutdownFinishesInFlightRequests() throws {
        let s = try server()
        let c = try RawHTTPClient(port: s.port)
        c.send("GET /gated HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertTrue(handler.waitUntilHolding(1))
        let port = s.port
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            s.shutdown(grace: .seconds(5)); done.signal()
        }
        usleep(200_000)  // shutdown has begun; the in-flight request still gets its answer
        handler.openGate()
        let response = try c.readResponse()
        XCTAssertEqual(response.text, "gated")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertThrowsError(try RawHTTPClient(port: port), "still accepting after shutdown")
    }

    func testUnixSocketListener() throws {
        let path = "/tmp/booksapi-test-\(getpid()).sock"
        let s = try server { $0.unixSocketPath = path }
        defer { s.shutdown(grace: .seconds(2)) }
        let c = try RawHTTPClient(unixPath: path)
        XCTAssertEqual(try c.request("GET", "/via-unix").text, "fast /via-unix")
    }

    func testGarbageNeverCrashesTheServer() throws {
        let s = try server()
        defer { s.shutdown(grace: .seconds(2)) }
        var generator = SeededGenerator(seed: 0x6A4B)
        for _ in 0..<300 {
            let c = try RawHTTPClient(port: s.port, timeoutSeconds: 2)
            var bytes = Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8)
            for _ in 0..<Int.random(in: 1...200, using: &generator) { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
            bytes += Array("\r\n\r\n".utf8)
            c.send(bytes)
            _ = try? c.readResponse()
        }
        XCTAssertEqual(try RawHTTPClient(port: s.port).request("GET", "/still-up").status, 200, "seed \(generator.seed)")
    }

    static func threadCount() -> Int {
        guard let dir = opendir("/proc/self/task") else { return -1 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) { if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 } }
        return count
    }
}
