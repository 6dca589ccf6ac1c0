import Glibc

/// Whole files in one call: the one read loop of the project (EINTR retried, short reads
/// continued), for static files, the journal, /proc and tests.
public enum FileBytes {
    public static func read(path: String) throws(SystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open(\(path))") }
        defer { close(fd) }
        return try read(fd: fd)
    }

    /// From offset 0 with pread, so the descriptor's own offset (an O_APPEND journal's) is untouched.
    public static func read(fd: Int32) throws(SystemError) -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 { if errno == EINTR { continue }; throw SystemError("read") }
            if n == 0 { return contents }
            contents.append(contentsOf: chunk[0..<n])
            offset += off_t(n)
        }
    }
}
