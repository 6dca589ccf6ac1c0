import CSystemShims
import Glibc

/// Starts a named pthread running `body`. Threads here live for the whole server run. The name
/// (at most 15 bytes, the kernel's limit) shows in `top -H`, perf and gdb.
@discardableResult
public func startThread(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
        &thread, nil,
        { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, box)
    precondition(rc == 0, "pthread_create failed: \(rc)")
    _ = shim_set_thread_name(thread, String(name.utf8.prefix(15))!)
    return thread
}
