import CLibFuzzer
import Glibc

@testable import HTTPServer

// Shared by the http and app targets: feeding one input to a fresh connection on the fake loop,
// whole and then split in two at a point the input's first byte chooses.

nonisolated(unsafe) let loop = ManualLoop()

/// Small limits, so the fuzzer reaches every limit with short inputs.
public func fuzzLimits(body: Int, headerBytes: Int, requestLine: Int, headerCount: Int) -> HTTPLimits {
    var limits = HTTPLimits()
    limits.maxBodyBytes = body
    limits.maxHeaderBytes = headerBytes
    limits.maxRequestLine = requestLine
    limits.maxHeaderCount = headerCount
    return limits
}

/// Feeds `size` bytes to a new connection in two pieces; deferred answers are dropped.
public func feedConnection(_ data: UnsafePointer<UInt8>, _ size: Int, limits: HTTPLimits, handler: HTTPHandler) {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let cut = size > 0 ? Int(bytes[0]) % (size + 1) : 0
    let connection = Connection(fd: -1, limits: limits, now: loop.now)
    let raw = UnsafeRawBufferPointer(bytes)
    for range in [0..<cut, cut..<size] {
        connection.received(UnsafeRawBufferPointer(rebasing: raw[range]), now: loop.now)
        _ = connection.process(handler: handler, context: { _ in .detached }, env: loop)
    }
    _ = connection.timedOut(now: .max, handler: handler, env: loop)
}

nonisolated(unsafe) private var target: ((UnsafePointer<UInt8>, Int) -> Int32)?

/// Runs libFuzzer's driver with `body` as the target, with the command line's arguments; the
/// process ends when fuzzing does.
public func runLibFuzzer(_ body: @escaping (UnsafePointer<UInt8>, Int) -> Int32) -> Never {
    target = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(
        LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let data else { return 0 }
            return target!(data, size)
        })
}
