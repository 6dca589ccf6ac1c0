import Synchronization

/// A fixed block of relaxed atomic counters: many threads add, a scrape reads. One allocation at
/// start, no locks, and no per-request allocation.
public final class AtomicCounters: @unchecked Sendable {  // the pointer is only reached through atomics
    private let slots: UnsafeMutablePointer<Atomic<Int>>
    public let count: Int

    public init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        for i in 0..<count { (slots + i).initialize(to: Atomic(0)) }
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    @inline(__always)
    public func add(_ index: Int, _ value: Int = 1) {
        slots[index].wrappingAdd(value, ordering: .relaxed)
    }

    @inline(__always)
    public func load(_ index: Int) -> Int {
        slots[index].load(ordering: .relaxed)
    }
}
