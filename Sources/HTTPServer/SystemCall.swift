import Glibc

/// The one wrapper for system calls whose failure matters: EINTR (a signal arrived) is retried on
/// purpose, any other failure throws a SystemError that names the call and keeps its errno.
enum SystemCall {
    @discardableResult
    static func check(_ name: @autoclosure () -> String, _ call: () -> Int32) throws(SystemError) -> Int32 {
        while true {
            let rc = call()
            if rc >= 0 { return rc }
            if errno == EINTR { continue }
            throw SystemError(name())
        }
    }
}
