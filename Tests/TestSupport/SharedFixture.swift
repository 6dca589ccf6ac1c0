import Foundation

/// A fixture a test class's tests share (a server process, a test MongoDB): started once, on first
/// use from `setUpWithError`, stopped in the class's `tearDown`. If it cannot start, every test of
/// the class fails with the reason, instead of the whole run crashing on a `fatalError`.
public final class SharedFixture<T>: @unchecked Sendable {  // `result` is behind `lock`
    private let make: () throws -> T
    private var result: Result<T, Error>?
    private let lock = NSLock()

    public init(_ make: @escaping () throws -> T) { self.make = make }

    public func get() throws -> T {
        let result = lock.withLock {
            if self.result == nil { self.result = Result { try make() } }
            return self.result!
        }
        return try result.get()
    }

    /// The fixture if it started, for tearDown.
    public var started: T? { lock.withLock { try? result?.get() } }
}
