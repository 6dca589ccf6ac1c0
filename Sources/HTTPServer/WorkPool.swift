import CSystemShims
import Glibc

/// A fixed set of threads for work that may block (fsync, libmongoc). The queue is bounded in
/// length and in waiting time: a job that waited past `queueTimeout` is expired instead of run,
/// so an overloaded store sheds load with 503s rather than piling up requests.
public final class WorkPool: @unchecked Sendable {  // queue state is behind `lock`
    public struct Job {
        let run: () -> Void
        let expired: () -> Void
        let enqueued: UInt64
    }

    private let lock = ConditionLock()
    private var queue: [Job] = []
    private var head = 0
    private let maxQueued: Int
    private let queueTimeout: UInt64
    private(set) public var busy = 0
    public let size: Int

    private let niceness: Int32

    /// `niceness` lowers the threads' CPU priority (Linux nice, per thread): a pool for heavy reads
    /// runs at 10, so that when searches keep every core busy, an event loop that wakes for a
    /// health probe or a new connection still runs at once (Linux weighs nice 0 against nice 10
    /// about 10 to 1), and writes, on a pool at 0, keep their share.
    public init(threads: Int, maxQueued: Int, queueTimeout: Duration, niceness: Int32 = 0, name: String = "work") {
        size = max(1, threads)
        self.maxQueued = maxQueued
        self.queueTimeout = queueTimeout.nanoseconds
        self.niceness = niceness
        for i in 0..<size { startThread(name: "\(name)-\(i)") { [self] in workLoop() } }
    }

    /// Queues `run`. Returns false, without queueing, when the queue is full.
    /// `expired` runs instead of `run` if the job waited longer than the queue timeout.
    @discardableResult
    public func submit(_ run: @escaping @Sendable () -> Void, expired: @escaping @Sendable () -> Void) -> Bool {
        lock.withLock {
            guard queue.count - head < maxQueued else { return false }
            queue.append(Job(run: run, expired: expired, enqueued: monotonicNanos()))
            lock.signal()
            return true
        }
    }

    public var threadCount: Int { size }

    /// Jobs waiting and jobs running, for metrics.
    public var load: (waiting: Int, running: Int) {
        lock.withLock { (queue.count - head, busy) }
    }

    private func workLoop() {
        if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(shim_gettid()), niceness) }  // this thread only (Linux)
        while true {
            lock.lock()
            while head == queue.count { lock.wait() }
            let job = queue[head]
            head += 1
            if head == queue.count || head > 1024 {
                queue.removeFirst(head)
                head = 0
            }
            busy += 1
            lock.unlock()
            if monotonicNanos() &- job.enqueued > queueTimeout { job.expired() } else { job.run() }
            lock.withLock { busy -= 1 }
        }
    }
}
