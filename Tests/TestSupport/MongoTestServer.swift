import Foundation

/// The project's MongoDB wire-protocol test server (Tests/MongoTestServer), started on a free port
/// from the project-local venv that ./scripts/test creates. Stopped on deinit.
public final class MongoTestServer: @unchecked Sendable {  // set once in init; the log has its own lock
    public let process = Process()
    public private(set) var port = 0
    private var output: OutputCapture!

    public static var python: String {
        ProcessInfo.processInfo.environment["MONGO_TEST_PYTHON"] ?? ServerProcess.packageRoot + "/.venv/bin/python"
    }

    public var url: String { "mongodb://127.0.0.1:\(port)/bookdata" }

    /// Starts it; `port` reuses a port (to restart after a stop), `delayMS` makes every command slow.
    public init(port: Int = 0, delayMS: Int = 0) throws {
        RequiredTool.testVenv.require()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [ServerProcess.packageRoot + "/Tests/MongoTestServer/mongo_test_server.py", "--port", String(port), "--delay-ms", String(delayMS)]
        output = OutputCapture(process)
        try process.run()
        let match = try output.waitFor(#"listening on (\d+)"#, process: process)
        self.port = Int(match.split(separator: " ").last!)!
    }

    public var log: String { output.log }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
