import Foundation

/// The project's MongoDB wire-protocol test server (Tests/MongoTestServer), started on a free port
/// from the project-local venv that ./scripts/test creates. Stopped on deinit.
public final class MongoTestServer: @unchecked Sendable {  // the log is behind logLock; the rest is set once
    public let process = Process()
    public private(set) var port = 0
    private let output = Pipe()
    private var logged = ""
    private let logLock = NSLock()

    public static var python: String {
        ProcessInfo.processInfo.environment["MONGO_TEST_PYTHON"] ?? ServerProcess.packageRoot + "/.venv/bin/python"
    }

    public var url: String { "mongodb://127.0.0.1:\(port)/bookdata" }

    /// Starts it; `port` reuses a port (to restart after a stop), `delayMS` makes every command slow.
    public init(port: Int = 0, delayMS: Int = 0) throws {
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [ServerProcess.packageRoot + "/Tests/MongoTestServer/mongo_test_server.py", "--port", String(port), "--delay-ms", String(delayMS)]
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.logLock.lock()
            self.logged += String(decoding: data, as: UTF8.self)
            self.logLock.unlock()
        }
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let range = log.range(of: #"listening on (\d+)"#, options: .regularExpression) {
                self.port = Int(log[range].split(separator: " ").last!)!
                return
            }
            if !process.isRunning { throw ServerProcess.StartError.exited(log) }
            usleep(20_000)
        }
        throw ServerProcess.StartError.timeout(log)
    }

    public var log: String {
        logLock.lock()
        defer { logLock.unlock() }
        return logged
    }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
