import Foundation

/// Collects a child process's stdout and stderr as they arrive, and waits for a line to appear.
final class OutputCapture: @unchecked Sendable {  // `text` is behind `lock`
    private let pipe = Pipe()
    private var text = ""
    private let lock = NSLock()

    init(_ process: Process) {
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.text += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
    }

    var log: String {
        lock.lock()
        defer { lock.unlock() }
        return text
    }

    /// Waits until `pattern` matches the output and returns the match; throws if the process exits first.
    func waitFor(_ pattern: String, process: Process, timeout: Double = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let current = log
            if let range = current.range(of: pattern, options: .regularExpression) { return String(current[range]) }
            if !process.isRunning { throw ServerProcess.StartError.exited(current) }
            usleep(20_000)
        }
        throw ServerProcess.StartError.timeout(log)
    }
}
