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

    /// With a replica-set name, it answers hello as that set's primary, and `url` names the set.
    public let replicaSet: String?

    public var url: String { "mongodb://127.0.0.1:\(port)/bookdata" + (replicaSet.map { "?replicaSet=\($0)" } ?? "") }

    /// Where the commands it received are logged, one JSON object per line (see `commands`).
    public let commandLog = NSTemporaryDirectory() + "mongo-commands-\(UUID().uuidString).jsonl"

    /// Starts it; `port` reuses a port (to restart after a stop), `delayMS` makes every command slow.
    /// `user`: "NAME:PASSWORD", which it then requires (SCRAM-SHA-256), as mongod with --auth.
    public init(port: Int = 0, delayMS: Int = 0, replicaSet: String? = nil, user: String? = nil) throws {
        RequiredTool.testVenv.require()
        self.replicaSet = replicaSet
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments =
            [
                ServerProcess.packageRoot + "/Tests/MongoTestServer/mongo_test_server.py", "--port", String(port), "--delay-ms", String(delayMS), "--command-log", commandLog,
            ] + (replicaSet.map { ["--replica-set", $0] } ?? []) + (user.map { ["--user", $0] } ?? [])
        output = OutputCapture(process)
        try process.run()
        let match = try output.waitFor(#"listening on (\d+)"#, process: process)
        self.port = Int(match.split(separator: " ").last!)!
    }

    public var log: String { output.log }

    /// The names of the commands received since the last call (handshakes left out), with each
    /// command's logged fields as JSON text.
    public func takeCommands() -> [(name: String, json: String)] {
        let text = (try? String(contentsOfFile: commandLog, encoding: .utf8)) ?? ""
        try? "".write(toFile: commandLog, atomically: false, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            return ((object?["command"] as? String) ?? "?", String(line))
        }
    }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
