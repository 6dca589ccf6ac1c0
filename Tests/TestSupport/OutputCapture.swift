import Foundation

/// Collects a child process's stdout and stderr as they arrive, and waits for a line to appear.
final class OutputCapture: @unchecked Sendable {  // `bytes` and `ended` are behind `lock`
    private let pipe = Pipe()
    private var bytes: [UInt8] = []  // decoded on reading, so a character split across reads survives
    private var ended = false
    private let lock = NSLock()

    init(_ process: Process) {
        process.standardOutput = pipe
        process.standardError = pipe
        // A thread of its own reads until end of file, which comes only when the child (and
        // anything it left behind) has closed the pipe: then `ended` says the log is complete.
        let fd = pipe.fileHandleForReading.fileDescriptor
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                lock.lock()
                bytes += buffer[0..<n]
                lock.unlock()
            }
            lock.lock()
            ended = true
            lock.unlock()
        }
    }

    var log: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whole output of a process that has exited: its last lines may still be in the pipe
    /// when the exit is seen, so this waits for end of file (bounded, in case a grandchild
    /// inherited the pipe).
    func finalLog(timeout: Double = 5) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            lock.lock()
            let done = ended
            lock.unlock()
            if done { break }
            usleep(5_000)
        }
        return log
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
