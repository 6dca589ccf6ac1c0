import Glibc

/// A pthread mutex with condition variables, for the few places that must wait (the work queue,
/// group commit, the log writer). Heap-allocated so its addresses are stable. More than one
/// condition lets different waiters be woken apart: the journal's commit thread waits for work
/// on one, its writers for durability on the other, so an append wakes no writer.
public final class ConditionLock: @unchecked Sendable {  // all state is behind the pthread mutex
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conds: UnsafeMutablePointer<pthread_cond_t>
    private let count: Int

    public init(conditions: Int = 1) {
        precondition(conditions >= 1)
        count = conditions
        conds = .allocate(capacity: conditions)
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        for i in 0..<conditions { pthread_cond_init(conds + i, &attr) }
        pthread_condattr_destroy(&attr)
    }

    deinit {
        for i in 0..<count { pthread_cond_destroy(conds + i) }
        pthread_mutex_destroy(mutex)
        conds.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    @inline(__always) public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (the lock must be held) on `condition` until signalled or until `deadline`
    /// (monotonic ns). Returns false on timeout.
    @discardableResult
    public func wait(_ condition: Int = 0, untilNanos deadline: UInt64? = nil) -> Bool {
        guard let deadline else { pthread_cond_wait(conds + condition, mutex); return true }
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return pthread_cond_timedwait(conds + condition, mutex, &ts) != ETIMEDOUT
    }

    public func signal(_ condition: Int = 0) { pthread_cond_signal(conds + condition) }
    public func broadcast(_ condition: Int = 0) { pthread_cond_broadcast(conds + condition) }
}

/// A reader-writer lock that prefers writers, so a stream of readers cannot starve a write.
public final class ReadWriteLock: @unchecked Sendable {  // all state is behind the pthread rwlock
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    public init() {
        var attr = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attr)
        pthread_rwlockattr_setkind_np(&attr, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attr)
        pthread_rwlockattr_destroy(&attr)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    @inline(__always) public func withReadLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    @inline(__always) public func withWriteLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
