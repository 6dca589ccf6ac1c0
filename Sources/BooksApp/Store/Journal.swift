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
    /// Tests only: runs on the commit thread after each write, before its fdatasync, so a test can
    /// hold a group commit "on the disk" and look at what readers and writers see meanwhile.
    var beforeSync: (() -> Void)?

    /// What opening found, for the store to log.
    struct Opened {
        var journal: Journal
        var scan: JournalFormat.Scan
        /// Set when a torn tail was cut: the byte range and the side file that keeps those bytes.
        var cut: (range: Range<Int>, savedAs: String)?
    }

    /// Opens and scans an existing journal. A torn tail is cut off (its bytes kept in a side file,
    /// `NAME.torn-OFFSET`) and the cut made durable before serving; corruption throws.
    static func open(directory: String, name: String = "books.journal") throws(StoreError) -> Opened {
        let path = directory + "/" + name
        let fd = Glibc.open(path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw .unavailable("cannot open \(path): \(SystemError("open"))") }
        let contents: [UInt8]
        do throws(StoreError) { contents = try readAll(fd, path: path) } catch { close(fd); throw error }
        var scan = JournalFormat.scan(contents)
        if let offset = scan.corruptionOffset {
            close(fd)
            throw .corrupt(
                "journal \(path) is damaged at byte \(offset) (of \(contents.count)), and a later commit follows the damage, so it is not a torn write; run `BooksAPI repair` to cut it there, keeping a backup"
            )
        }
        var cut: (Range<Int>, String)?
        if contents.count < JournalFormat.headerSize || scan.validLength < contents.count {
            // Drop the torn tail (or an unfinished header), keeping the bytes, and make the cut durable before serving.
            do throws(StoreError) {
                if scan.validLength < contents.count, scan.validLength > 0 {
                    let side = path + ".torn-\(scan.validLength)"
                    try writeFile(side, Array(contents[scan.validLength...]))
                    cut = (scan.validLength..<contents.count, side)
                }
                guard ftruncate(fd, off_t(scan.validLength)) == 0 else { throw ioError("ftruncate", path) }
                if scan.validLength == 0 {
                    var header = JournalFormat.magic
                    try writeAll(fd, &header, path: path)
                    scan.validLength = JournalFormat.headerSize
                }
                guard fdatasync(fd) == 0 else { throw ioError("fdatasync", path) }
            } catch {
                close(fd)
                throw error
            }
            syncDirectory(directory)
        }
        return Opened(journal: Journal(path: path, directory: directory, fd: fd, size: scan.validLength), scan: scan, cut: cut)
    }

    /// Creates a new, empty version 2 journal (replacing nothing: the name must be free), synced
    /// with its directory entry. A journal that follows a snapshot names its generation.
    static func create(directory: String, name: String = "books.journal", generation: UInt64) throws(StoreError) -> Journal {
        let path = directory + "/" + name
        let fd = try createFile(path, Self.header(generation: generation))
        syncDirectory(directory)
        return Journal(path: path, directory: directory, fd: fd, size: Self.header(generation: generation).count)
    }

    static func header(generation: UInt64) -> [UInt8] {
        var bytes = JournalFormat.magic
        if generation > 0 { JournalFormat.frame(JournalFormat.generationPayload(generation), into: &bytes) }
        return bytes
    }

    /// Creates `path` exclusively with `bytes`, fdatasynced; returns the open descriptor (append mode).
    private static func createFile(_ path: String, _ bytes: [UInt8]) throws(StoreError) -> Int32 {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, DataDirectory.fileMode)
        guard fd >= 0 else { throw ioError("create", path) }
        var copy = bytes
        do throws(StoreError) {
            try writeAll(fd, &copy, path: path)
            guard fdatasync(fd) == 0 else { throw ioError("fdatasync", path) }
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        return fd
    }

    /// Writes a whole file (replacing any), synced. For side files.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(StoreError) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, DataDirectory.fileMode)
        guard fd >= 0 else { throw ioError("create", path) }
        defer { close(fd) }
        var copy = bytes
        try writeAll(fd, &copy, path: path)
        guard fsync(fd) == 0 else { throw ioError("fsync", path) }
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
            JournalFormat.frame(JournalFormat.commitPayload(startingAt: size), into: &batch)  // closes this group
            let through = lastAppended
            let first = durable + 1
            writing = true
            let fd = self.fd
            lock.unlock()

            var result: StoreError?
            do throws(StoreError) {
                try Self.writeAll(fd, &batch, path: path)
                beforeSync?()
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
    /// The store drops the failed changes it held pending; none of them was ever visible.
    func truncateToDurable() throws(StoreError) {
        try lock.withLock { () throws(StoreError) in
            while writing { lock.wait() }
            guard ftruncate(fd, off_t(size)) == 0 else { throw Self.ioError("ftruncate", path) }
            broken = nil
            pending.removeAll()
            durable = lastAppended  // every earlier ticket is either durable or listed in `failures`
        }
    }

    /// Compaction's first step: once everything appended is durable, renames this journal to
    /// `archivedName` and continues in a new, empty journal of `generation` under the old name.
    /// Call with the store's writers held off, so nothing is appended meanwhile.
    func rotate(archivedName: String, generation: UInt64) throws(StoreError) {
        try lock.withLock { () throws(StoreError) in
            while writing || !pending.isEmpty { lock.wait() }
            if let broken { throw broken }
            let archived = directory + "/" + archivedName
            guard rename(path, archived) == 0 else { throw Self.ioError("rename", path) }
            let header = Self.header(generation: generation)
            let newFD: Int32
            do throws(StoreError) {
                newFD = try Self.createFile(path, header)
            } catch {
                rename(archived, path)  // put the journal back; nothing else changed
                throw error
            }
            Self.syncDirectory(directory)  // both the rename and the new file
            close(fd)
            fd = newFD
            size = header.count
        }
    }

    var durableTicket: UInt64 { lock.withLock { durable } }

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
