import Glibc

/// Writes log lines from a thread of its own, so an I/O loop never blocks on a slow stdout.
/// If the writer falls behind by more than `maxBuffered` bytes, new lines are dropped and counted.
public final class LogSink: @unchecked Sendable {  // buffer state is behind `lock`
    private let lock = ConditionLock()
    private var buffer: [UInt8] = []
    private var dropped = 0
    /// Bytes accepted and bytes written (or given up on) so far: `flush` waits for the second to
    /// reach the first, not merely for the buffer to be taken by the writer.
    private var accepted = 0
    private var finished = 0
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
            accepted += bytes.count
            lock.broadcast()
        }
    }

    public func line(_ text: String) { write(Array((text + "\n").utf8)) }

    /// Blocks until everything accepted so far is written, for at most a second (used at exit).
    public func flush() {
        let deadline = monotonicNanos() + 1_000_000_000
        lock.withLock {
            let target = accepted
            while finished < target, lock.wait(untilNanos: deadline) {}
        }
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            lock.lock()
            while buffer.isEmpty { lock.wait() }
            swap(&batch, &buffer)
            let taken = batch.count
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
            lock.withLock {
                finished += taken
                lock.broadcast()
            }
        }
    }
}
