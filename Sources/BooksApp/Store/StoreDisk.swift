import Glibc
import HTTPServer

/// All of the embedded store's file I/O, behind one small interface, so the tests can put a
/// simulated disk underneath (one that loses unsynced writes, tears them, reorders them and
/// forgets directory changes that no directory fsync followed) and crash it anywhere, as SQLite's
/// crash-test VFS and FoundationDB's simulation do. `RealDisk` is the only production one.
protocol StoreDisk: AnyObject, Sendable {
    /// The whole file, or nil when it does not exist.
    func read(_ path: String) throws(StoreError) -> [UInt8]?
    func list(_ directory: String) throws(StoreError) -> Set<String>
    /// Creates `path` exclusively with `bytes`, fdatasynced (its directory entry is durable only
    /// after `syncDirectory`), and keeps it open for appending.
    func create(_ path: String, _ bytes: [UInt8]) throws(StoreError) -> StoreFile
    func openForAppend(_ path: String) throws(StoreError) -> StoreFile
    /// Writes a whole file (replacing any), fsynced: side files and snapshot temporaries.
    func writeWhole(_ path: String, _ bytes: [UInt8]) throws(StoreError)
    func rename(_ from: String, _ to: String) throws(StoreError)
    func unlink(_ path: String)
    /// fsync of a directory: makes creations, renames and unlinks in it durable.
    func syncDirectory(_ path: String)
}

/// An open file of a `StoreDisk`, appended to by one thread at a time.
protocol StoreFile: AnyObject, Sendable {
    func append(_ bytes: [UInt8]) throws(StoreError)
    /// fdatasync: what was appended is durable once this returns.
    func sync() throws(StoreError)
    func truncate(_ size: Int) throws(StoreError)
    func close()
}

/// The operating system's file system.
final class RealDisk: StoreDisk {
    func read(_ path: String) throws(StoreError) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw Self.ioError("open", path)
        }
        defer { Glibc.close(fd) }
        do throws(SystemError) {
            return try FileBytes.read(fd: fd)
        } catch {
            errno = error.errno
            throw Self.ioError("read", path)
        }
    }

    func list(_ directory: String) throws(StoreError) -> Set<String> {
        guard let dir = opendir(directory) else { throw .unavailable("cannot list DATA_DIR \(directory): \(SystemError("opendir"))") }
        defer { closedir(dir) }
        var names: Set<String> = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.insert(name) }
        }
        return names
    }

    func create(_ path: String, _ bytes: [UInt8]) throws(StoreError) -> StoreFile {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, DataDirectory.fileMode)
        guard fd >= 0 else { throw Self.ioError("create", path) }
        let file = RealFile(fd: fd, path: path)
        do throws(StoreError) {
            try file.append(bytes)
            try file.sync()
        } catch {
            file.close()
            Glibc.unlink(path)
            throw error
        }
        return file
    }

    func openForAppend(_ path: String) throws(StoreError) -> StoreFile {
        let fd = Glibc.open(path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw Self.ioError("open", path) }
        return RealFile(fd: fd, path: path)
    }

    func writeWhole(_ path: String, _ bytes: [UInt8]) throws(StoreError) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, DataDirectory.fileMode)
        guard fd >= 0 else { throw Self.ioError("create", path) }
        let file = RealFile(fd: fd, path: path)
        defer { file.close() }
        try file.append(bytes)
        guard fsync(fd) == 0 else { throw Self.ioError("fsync", path) }
    }

    func rename(_ from: String, _ to: String) throws(StoreError) {
        guard Glibc.rename(from, to) == 0 else { throw Self.ioError("rename", from) }
    }

    func unlink(_ path: String) { Glibc.unlink(path) }

    func syncDirectory(_ path: String) {
        let dfd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        fsync(dfd)
        Glibc.close(dfd)
    }

    /// A failed call as a store error: out of space is its own kind (507), the rest is unavailable.
    static func ioError(_ call: String, _ path: String) -> StoreError {
        let e = errno
        let message = "\(call) \(path): \(String(cString: strerror(e)))"
        return e == ENOSPC || e == EDQUOT ? .storageFull(message) : .unavailable(message)
    }
}

final class RealFile: StoreFile, @unchecked Sendable {  // used by one thread at a time (the journal's lock)
    private let fd: Int32
    private let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func append(_ bytes: [UInt8]) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RealDisk.ioError("write", path)
            }
            offset += n
        }
    }

    func sync() throws(StoreError) {
        guard fdatasync(fd) == 0 else { throw RealDisk.ioError("fdatasync", path) }
    }

    func truncate(_ size: Int) throws(StoreError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw RealDisk.ioError("ftruncate", path) }
    }

    func close() { Glibc.close(fd) }
}
