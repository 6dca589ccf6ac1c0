import Glibc
import HTTPServer

/// The embedded store's append-only journal with group commit: writers append under the store's
/// write lock, then wait; one thread writes everything pending with a single write and fdatasync,
/// and wakes them all. A write is acknowledged only after its fdatasync returned.
final class Journal: @unchecked Sendable {  // all mutable state is behind `lock`
    let path: String
    private let directory: String
    private var fd: Int32
    private let lock = ConditionLock()
    private var pending: [UInt8] = []
    private var lastAppended: UInt64 = 0
    private var durable: UInt64 = 0
    private var writing = false
    private var failures: [(range: ClosedRange<UInt64>, error: StoreError)] = []
    private var broken: StoreError?
    /// Bytes of the file that are known to be on disk.
    private var size: Int

    /// Opens (creating if needed) and scans the journal. A torn tail is cut off; corruption throws.
    static func open(directory: String, name: String = "books.journal") throws(StoreError) -> (Journal, JournalFormat.Scan, created: Bool) {
        let path = directory + "/" + name
        let existed = access(path, F_OK) == 0
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, DataDirectory.fileMode)
        guard fd >= 0 else { throw .unavailable("cannot open \(path): \(SystemError("open"))") }
        let contents = try readAll(fd, path: path)
        var scan = JournalFormat.scan(contents)
        if let offset = scan.corruptionOffset {
            close(fd)
            throw .corrupt("journal \(path) is damaged at byte \(offset) (of \(contents.count)); run `BooksAPI repair` to cut it there, keeping a backup")
        }
        if contents.count < JournalFormat.headerSize || scan.tornTail {
            // Drop the torn tail (or an unfinished header) and make the cut durable before serving.
            guard ftruncate(fd, off_t(scan.validLength)) == 0 else { close(fd); throw .unavailable("ftruncate \(path): \(SystemError("ftruncate"))") }
            if scan.validLength == 0 {
                var header = JournalFormat.magic
                try writeAll(fd, &header, path: path)
                scan.validLength = JournalFormat.headerSize
            }
            guard fdatasync(fd) == 0 else { close(fd); throw .unavailable("fdatasync \(path): \(SystemError("fdatasync"))") }
            syncDirectory(directory)
        }
        let journal = Journal(path: path, directory: directory, fd: fd, size: scan.validLength)
        return (journal, scan, !existed)
    }

    private init(path: String, directory: String, fd: Int32, size: Int) {
        self.path = path
        self.directory = directory
        self.fd = fd
        self.size = size
        startThread(name: "group-commit") { [self] in commitLoop() }
    }

    /// Queues a record; returns its ticket for `waitDurable`. Call under the store's write lock,
    /// so journal order is the order the changes were applied in memory.
    func append(_ payload: [UInt8]) throws(StoreError) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        if let broken { throw broken }
        JournalFormat.frame(payload, into: &pending)
        lastAppended += 1
        lock.signal()
        return lastAppended
    }

    func waitDurable(_ ticket: UInt64) throws(StoreError) {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let failure = failures.last(where: { $0.range.contains(ticket) }) { throw failure.error }
            if durable >= ticket { return }
            lock.wait()
        }
    }

    var isBroken: Bool { lock.withLock { broken != nil } }
    var currentSize: Int { lock.withLock { size } }

    private func commitLoop() {
        while true {
            lock.lock()
            while pending.isEmpty { lock.wait() }
            var batch: [UInt8] = []
            swap(&batch, &pending)
            let through = lastAppended
            let first = durable + 1
            writing = true
            let fd = self.fd
            lock.unlock()

            var result: StoreError?
            do throws(StoreError) {
                try Self.writeAll(fd, &batch, path: path)
                if fdatasync(fd) != 0 { throw Self.ioError("fdatasync", path) }
            } catch {
                result = error
            }

            lock.lock()
            writing = false
            if let result {
                // Everything appended so far was computed on state that is not on disk: fail it all.
                failures.append((first...max(first, lastAppended), result))
                if failures.count > 64 { failures.removeFirst(failures.count - 64) }
                broken = result
                pending.removeAll()
            } else {
                durable = through
                size += batch.count
            }
            lock.broadcast()
            lock.unlock()
        }
    }

    /// After a failed write: cut the file back to what is durable and accept appends again.
    /// The store reloads its memory from the file while holding its write lock.
    func truncateToDurable() throws(StoreError) -> [UInt8] {
        try lock.withLock { () throws(StoreError) -> [UInt8] in
            while writing { lock.wait() }
            guard ftruncate(fd, off_t(size)) == 0 else { throw Self.ioError("ftruncate", path) }
            let contents = try Self.readAll(fd, path: path)
            broken = nil
            pending.removeAll()
            durable = lastAppended  // every earlier ticket is either durable or listed in `failures`
            return contents
        }
    }

    /// Compaction: replaces the file with `payloads` (the live data) atomically, by a synced
    /// temporary file renamed over the journal. Call under the store's write lock.
    func rewrite(_ payloads: [[UInt8]]) throws(StoreError) {
        try lock.withLock { () throws(StoreError) in
            while writing || !pending.isEmpty { lock.wait() }
            let temporary = path + ".compact"
            let newFD = Glibc.open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, DataDirectory.fileMode)
            guard newFD >= 0 else { throw Self.ioError("open", temporary) }
            var bytes = JournalFormat.magic
            for payload in payloads { JournalFormat.frame(payload, into: &bytes) }
            do throws(StoreError) {
                try Self.writeAll(newFD, &bytes, path: temporary)
                guard fdatasync(newFD) == 0 else { throw Self.ioError("fdatasync", temporary) }
                guard rename(temporary, path) == 0 else { throw Self.ioError("rename", temporary) }
            } catch {
                close(newFD)
                unlink(temporary)
                throw error
            }
            Self.syncDirectory(directory)
            close(fd)
            fd = newFD
            size = bytes.count
        }
    }

    // MARK: file helpers

    static func readAll(_ fd: Int32, path: String) throws(StoreError) -> [UInt8] {
        do throws(SystemError) {
            return try FileBytes.read(fd: fd)
        } catch {
            errno = error.errno
            throw ioError("read", path)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: inout [UInt8], path: String) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; throw ioError("write", path) }
            offset += n
        }
    }

    static func ioError(_ call: String, _ path: String) -> StoreError {
        let e = errno
        let message = "\(call) \(path): \(String(cString: strerror(e)))"
        return e == ENOSPC || e == EDQUOT ? .storageFull(message) : .unavailable(message)
    }

    /// A rename or a new file is durable only once its directory is synced.
    static func syncDirectory(_ directory: String) {
        let dfd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        fsync(dfd)
        close(dfd)
    }
}
