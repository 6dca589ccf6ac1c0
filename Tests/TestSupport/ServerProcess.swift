import Foundation

/// The real BooksAPI binary, started for a test with its own data directory and a free port.
public final class ServerProcess: @unchecked Sendable {  // set once in init; the log has its own lock
    public let process = Process()
    public private(set) var port = 0
    public let dataDir: String
    private var output: OutputCapture!

    /// The binary beside the test bundle (`swift test` builds it), or $BOOKSAPI_BINARY.
    public static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["BOOKSAPI_BINARY"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("BooksAPI").path
    }

    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    public static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "booksapi-e2e-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts the server and waits until it says where it listens.
    public init(environment extra: [String: String] = [:], dataDir: String? = nil, arguments: [String] = [], waitForListening: Bool = true) throws {
        self.dataDir = dataDir ?? Self.temporaryDirectory()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Self.packageRoot)
        var environment = ["PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": "0", "DATA_DIR": self.dataDir, "LOG_LEVEL": "info", "IO_THREADS": "2", "FLEET_SEED_FILE": ""]
        for (k, v) in extra { environment[k] = v }
        process.environment = environment
        output = OutputCapture(process)
        try process.run()
        guard waitForListening else { return }
        let match = try output.waitFor(#"listening on http://[^:]+:(\d+)"#, process: process)
        port = Int(match.split(separator: ":").last!)!
    }

    /// What the process printed so far; once it has exited, everything it printed.
    public var log: String { process.isRunning ? output.log : output.finalLog() }

    /// Waits until the output contains `text` (the pipe is read asynchronously).
    public func waitForLog(_ text: String, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.contains(text) { return true }
            usleep(10_000)
        }
        return log.contains(text)
    }

    public func client(timeoutSeconds: Int = 10) throws -> RawHTTPClient { try RawHTTPClient(port: port, timeoutSeconds: timeoutSeconds) }

    /// Sends a signal and waits for the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 20) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        return process.terminationStatus
    }

    public func waitForExit(timeoutSeconds: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    public enum StartError: Error { case exited(String), timeout(String) }
}
