import Glibc
import HTTPServer

/// The embedded store's directory, held with an exclusive lock for the life of the process,
/// so that a second server (or `seed`) on the same directory stops with a clear message.
final class DataDirectory: Sendable {
    let path: String
    private let lockFD: Int32

    /// The store holds every client's data: only the server's own user may list or read it.
    static let directoryMode: mode_t = 0o700
    /// Journal, lock, compaction and repair files.
    static let fileMode: mode_t = 0o600

    init(path: String) throws(StoreError) {
        if mkdir(path, Self.directoryMode) == 0 {
            RealDisk().syncDirectory(Self.parent(of: path))  // the new directory's entry is durable too
        } else if errno != EEXIST {
            throw .unavailable("cannot create DATA_DIR \(path): \(SystemError("mkdir"))")
        }
        let lockPath = path + "/LOCK"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, Self.fileMode)
        guard fd >= 0 else { throw .unavailable("cannot open \(lockPath): \(SystemError("open"))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .unavailable("DATA_DIR \(path) is in use by another BooksAPI process (\(lockPath) is locked); stop it first")
        }
        self.path = path
        lockFD = fd
    }

    deinit { close(lockFD) }

    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }  // closing releases the flock
}
