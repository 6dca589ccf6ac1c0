import Glibc

/// Monotonic nanoseconds (coarse clock: cheap, a few ms resolution, fine for timeouts).
@inline(__always) public func monotonicNanos(coarse: Bool = false) -> UInt64 {
    var ts = timespec()
    clock_gettime(coarse ? CLOCK_MONOTONIC_COARSE : CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

extension Duration {
    public var nanoseconds: UInt64 {
        let (s, atto) = components
        return UInt64(max(0, s)) * 1_000_000_000 + UInt64(max(0, atto) / 1_000_000_000)
    }
}
