import Glibc
import HTTPServer

/// The embedded store's append-only journal with group commit: writers append, then wait; one
/// thread writes everything pending with a single write, closed by a commit record, and one
/// fdatasync, and wakes them all. A write is acknowledged only after its fdatasync returned.
final class Journal: @unchecked Sendable {  // all mutable state is behind `lock`
    let path: String
    private let directory: String
    private let disk: StoreDisk
    private var file: StoreFile
    /// Condition 0: durability changed (writers, rotation and truncation wait on it);
    /// condition 1: work for the commit thread. Apart, so an append wakes no waiting writer.
    private let lock = ConditionLock(conditions: 2)
    private static let durabilityChanged = 0, workArrived = 1
    private var pending: [UInt8] = []
    private var lastAppended: UInt64 = 0
    private var durable: UInt64 = 0
    private var writing = false
    private var closed = false
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
    static func open(directory: String, name: String = StoreFiles.journal, disk: StoreDisk) throws(StoreError) -> Opened {
        let path = directory + "/" + name
        guard let contents = try disk.read(path) else { throw .unavailable("cannot open \(path): it does not exist") }
        var scan = JournalFormat.scan(contents)
        if let offset = scan.corruptionOffset {
            throw .corrupt(
                "journal \(path) is damaged at byte \(offset) (of \(contents.count)), and a later commit follows the damage, so it is not a torn write; run `BooksAPI repair` to cut it there, keeping a backup"
            )
        }
        let file = try disk.openForAppend(path)
        var cut: (Range<Int>, String)?
        if contents.count < JournalFormat.headerSize || scan.validLength < contents.count {
            // Drop the torn tail (or an unfinished header), keeping the bytes, and make the cut durable before serving.
            do throws(StoreError) {
                if scan.validLength < contents.count, scan.validLength > 0 {
                    let side = path + ".torn-\(scan.validLength)"
                    try disk.writeWhole(side, Array(contents[scan.validLength...]))
                    cut = (scan.validLength..<contents.count, side)
                }
                try file.truncate(scan.validLength)
                if scan.validLength == 0 {
                    try file.append(JournalFormat.magic)
                    scan.validLength = JournalFormat.headerSize
                }
                try file.sync()
            } catch {
                file.close()
                throw error
            }
            disk.syncDirectory(directory)
        }
        return Opened(journal: Journal(path: path, directory: directory, disk: disk, file: file, size: scan.validLength), scan: scan, cut: cut)
    }

    /// Creates a new, empty version 2 journal (the name must be free), synced with its directory
    /// entry. A journal that follows a snapshot names its generation.
    static func create(directory: String, name: String = StoreFiles.journal, generation: UInt64, disk: StoreDisk) throws(StoreError) -> Journal {
        let path = directory + "/" + name
        let header = Self.header(generation: generation)
        let file = try disk.create(path, header)
        disk.syncDirectory(directory)
        return Journal(path: path, directory: directory, disk: disk, file: file, size: header.count)
    }

    static func header(generation: UInt64) -> [UInt8] {
        var bytes = JournalFormat.magic
        if generation > 0 { JournalFormat.frame(JournalFormat.generationPayload(generation), into: &bytes) }
        return bytes
    }

    private init(path: String, directory: String, disk: StoreDisk, file: StoreFile, size: Int) {
        self.path = path
        self.directory = directory
        self.disk = disk
        self.file = file
        self.size = size
        startThread(name: "group-commit") { [self] in commitLoop() }
    }

    /// Queues a record; returns its ticket for `waitDurable`. Call with the store's writers held,
    /// so journal order is the order the changes were decided in.
    func append(_ payload: [UInt8]) throws(StoreError) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        if let broken { throw broken }
        JournalFormat.frame(payload, into: &pending)
        lastAppended += 1
        lock.signal(Self.workArrived)
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
    var durableTicket: UInt64 { lock.withLock { durable } }

    /// Stops the commit thread once nothing is pending, and closes the file.
    func close() {
        lock.withLock {
            closed = true
            lock.broadcast(Self.workArrived)
            lock.broadcast(Self.durabilityChanged)
        }
    }

    private func commitLoop() {
        while true {
            lock.lock()
            while pending.isEmpty && !closed { lock.wait(Self.workArrived) }
            if pending.isEmpty {  // closed
                file.close()
                lock.unlock()
                return
            }
            var batch: [UInt8] = []
            swap(&batch, &pending)
            JournalFormat.frame(JournalFormat.commitPayload(startingAt: size), into: &batch)  // closes this group
            let through = lastAppended
            let first = durable + 1
            writing = true
            let file = self.file
            lock.unlock()

            var result: StoreError?
            do throws(StoreError) {
                try file.append(batch)
                beforeSync?()
                try file.sync()
            } catch {
                result = error
            }

            lock.lock()
            writing = false
            if let result {
                // Everything appended so far was decided on state that is not on disk: fail it all.
                failures.append((first...max(first, lastAppended), result))
                if failures.count > 64 { failures.removeFirst(failures.count - 64) }
                broken = result
                pending.removeAll()
            } else {
                durable = through
                size += batch.count
            }
            lock.broadcast(Self.durabilityChanged)
            lock.unlock()
        }
    }

    /// After a failed write: cut the file back to what is durable and accept appends again.
    /// The store drops the failed changes it held pending; none of them was ever visible.
    func truncateToDurable() throws(StoreError) {
        try lock.withLock { () throws(StoreError) in
            while writing { lock.wait() }
            try file.truncate(size)
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
            try disk.rename(path, archived)
            let header = Self.header(generation: generation)
            let newFile: StoreFile
            do throws(StoreError) {
                newFile = try disk.create(path, header)
            } catch {
                try? disk.rename(archived, path)  // put the journal back; nothing else changed
                throw error
            }
            disk.syncDirectory(directory)  // both the rename and the new file
            file.close()
            file = newFile
            size = header.count
        }
    }
}
