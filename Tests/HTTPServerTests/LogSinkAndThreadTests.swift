import Glibc
import XCTest

@testable import HTTPServer

final class LogSinkTests: XCTestCase {
    /// flush returns only once every accepted byte is written. The pipe's reader takes 16 KiB every
    /// 20 ms, so the writer stays blocked in write(2) long after it took the buffer; when flush
    /// returns, whatever the reader has not taken yet must already be in the pipe.
    func testFlushWaitsUntilTheLastBatchIsWritten() {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        defer { close(ends[0]); close(ends[1]) }
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        let sink = LogSink(fd: ends[1])
        let line = String(repeating: "x", count: 99)
        for _ in 0..<2_000 { sink.line(line) }  // 200,000 bytes against a 64 KiB pipe
        let reader = PacedReader(fd: ends[0])
        let thread = Thread { reader.run() }
        thread.start()
        sink.flush()
        let taken = reader.stop()
        XCTAssertGreaterThan(taken, 0, "the writer had to wait for the reader")
        XCTAssertEqual(taken + PacedReader.drain(ends[0]), 200_000, "everything accepted before flush was written when it returned")
    }
}

/// Reads 16 KiB every 20 ms until stopped; `stop` returns what it read, with no read in flight.
final class PacedReader: @unchecked Sendable {
    private let lock = ConditionLock()
    private var total = 0, stopped = false
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    func run() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while lock.withLock({ () -> Bool in
            guard !stopped else { return false }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { total += n }
            return true
        }) { usleep(20_000) }
    }

    func stop() -> Int {
        lock.withLock {
            stopped = true; return total
        }
    }

    static func drain(_ fd: Int32) -> Int {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024), total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return total }
            total += n
        }
    }
}

final class ThreadNameTests: XCTestCase {
    func testThreadsCarryTheirNames() {
        let started = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        startThread(name: "named-thread-123456") {  // longer than the kernel's 15 bytes: cut, not refused
            started.signal()
            done.wait()
        }
        started.wait()
        defer { done.signal() }
        var names: [String] = []
        if let dir = opendir("/proc/self/task") {
            while let entry = readdir(dir) {
                let tid = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard tid.first?.isNumber == true, let file = fopen("/proc/self/task/\(tid)/comm", "r") else { continue }
                var buffer = [CChar](repeating: 0, count: 64)
                if fgets(&buffer, 64, file) != nil { names.append(String(cString: buffer).trimmingCharacters(in: .newlines)) }
                fclose(file)
            }
            closedir(dir)
        }
        XCTAssertTrue(names.contains("named-thread-12"), "\(names)")
    }
}
