import Glibc

/// Writes log lines from a thread of its own, so an I/O loop never blocks on a slow stdout.
/// If the writer falls behind by more than `maxBuffered` bytes, new lines are dropped and counted.
public final class LogSink: @unchecked Sendable {  // buffer state is behind `lock`
    private let lock = ConditionLock()
    private var buffer: [UInt8] = []
    private var dropped = 0
    private let fd: Int32
    private let maxBuffered: Int

    public init(fd: Int32 = 1, maxBuffered: Int = 4 << 20) {
        self.fd = fd
        self.maxBuffered = maxBuffered
        startThread(name: "log-writer") { [self] in run() }
    }

    public func write(_ bytes: [UInt8]) {
        lock.withLock {
            if buffer.count + bytes.count > maxBuffered { dropped += 1; return }
            buffer.append(contentsOf: bytes)
            lock.signal()
        }
    }

    public func line(_ text: String) { write(Array((text + "\n").utf8)) }

    /// Blocks until everything buffered so far is written (used at shutdown).
    public func flush() {
        for _ in 0..<200 {
            if lock.withLock({ buffer.isEmpty }) { return }
            usleep(5_000)
        }
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            lock.lock()
            while buffer.isEmpty { lock.wait() }
            swap(&batch, &buffer)
            let lost = dropped
            dropped = 0
            lock.unlock()
            if lost > 0 { batch.append(contentsOf: "log: \(lost) writes dropped, output too slow\n".utf8) }
            var offset = 0
            while offset < batch.count {
                let n = batch.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
