import Glibc
import HTTPServer
import JSON
import Synchronization

/// The store used when no MongoDB is configured: books and the inventory in memory, indexed;
/// every change appended to a checksummed journal with group commit, and **durable before
/// visible**: a writer decides its change against the durable state, journals it, waits for the
/// fsync, and only then applies it to what readers see, as PostgreSQL does with synchronous_commit
/// on. A writer that touches a document with a change still pending waits for it first (see
/// PendingChanges), so dependent writes order correctly. Lookups by key
/// are O(1) and never block, so they run on the I/O threads; lists run on the work pool.
///
/// Compaction rotates the journal and writes a snapshot of the state on a background thread,
/// from a copy that costs nothing until the next write (see StoreFiles for the crash states).
final class EmbeddedStore: BookStore, @unchecked Sendable {  // `state` is guarded by `lock`, the rest by `writers`
    static let collection = "books"
    let readsAreNonBlocking = true
    /// Holds the directory's lock (nil on a simulated disk).
    private let lock_: DataDirectory?
    private let path: String
    private let disk: StoreDisk
    let journal: Journal
    /// Guards `state`: readers share it; applying durable changes takes it exclusively, briefly.
    private let lock = ReadWriteLock()
    /// What reads see: only durable changes. Always mutated in place, never through a copy.
    private(set) var state: StoreState
    /// Serialises writers (decide and append), publishing, and compaction's rotation.
    private let writers = ConditionLock()
    private var pending = PendingChanges()
    /// Every change up to this ticket is visible; lets a writer whose change a group-mate already
    /// published return without taking the writers' lock.
    private let published = Atomic<UInt64>(0)
    private var generation: UInt64
    private var snapshotting = false
    private let maxDocumentBytes: Int
    private let compactMinBytes: Int
    /// A journal past this many bytes is compacted even when most of it is live data, so a restart
    /// replays at most this much after loading the snapshot.
    private let journalTailBytes: Int
    /// True when the directory was empty: the caller seeds the sample books.
    let isNew: Bool
    /// What opening found (torn tails cut, stale files removed), for the log.
    let openNotes: [String]

    init(
        directory path: String, disk: StoreDisk = RealDisk(), maxDocumentBytes: Int = 16 * 1024, compactMinBytes: Int = 1 << 20, journalTailBytes: Int = 64 << 20
    ) throws(StoreError) {
        lock_ = disk is RealDisk ? try DataDirectory(path: path) : nil
        self.path = path
        self.disk = disk
        let recovered = try StoreFiles.open(directory: path, disk: disk)
        journal = recovered.journal
        state = recovered.state
        generation = recovered.generation
        isNew = recovered.isNew
        self.maxDocumentBytes = maxDocumentBytes
        self.compactMinBytes = compactMinBytes
        self.journalTailBytes = journalTailBytes
        openNotes = recovered.notes
        if recovered.needsCompaction {
            // A version 1 journal, or a compaction that a crash interrupted: compact now.
            writers.withLock { startCompactionLocked() }
        }
    }

    // MARK: reads

    func listBooks(_ query: BookQuery) throws(StoreError) -> BookPage {
        var page = lock.withReadLock { state.books.page(query) }
        if query.count == CountPreference.none { page.total = nil }  // every count here is exact, and cheap next to the page
        return page
    }

    func book(id: String) throws(StoreError) -> [UInt8]? {
        lock.withReadLock { state.books.json(id: id) }
    }

    /// Reads under the read lock, for the inventory extension.
    func reading<T>(_ body: (StoreState) -> T) -> T { lock.withReadLock { body(state) } }

    func checkReady() throws(StoreError) {
        if journal.isBroken { throw .unavailable("the journal could not be written; retrying") }
    }

    // MARK: writes

    func insertBook(_ book: JSONObject) throws(StoreError) {
        let encoded = try encode(book)
        try write { view throws(StoreError) in
            if try view.bookExists(id: encoded.id) { throw .duplicateID(encoded.id) }
            return [.putBook(encoded)]
        }
    }

    /// One write, so one group commit: every book or none.
    func insertBooks(_ books: [JSONObject]) throws(StoreError) -> BatchInsertOutcome {
        let encoded = try books.map { (b) throws(StoreError) -> EncodedBook in try encode(b) }
        var outcome = BatchInsertOutcome.inserted
        try write { view throws(StoreError) in
            var taken: [String] = []
            for book in encoded where try view.bookExists(id: book.id) { taken.append(book.id) }
            guard taken.isEmpty else { outcome = .duplicates(taken); return [] }
            outcome = .inserted
            return encoded.map { .putBook($0) }
        }
        return outcome
    }

    func updateBook(id: String, patch: BookPatch, precondition: (([UInt8]) -> Bool)?) throws(StoreError) -> UpdateOutcome {
        var outcome = UpdateOutcome.notFound
        try write { view throws(StoreError) in
            guard let json = try view.bookJSON(id: id) else { return [] }
            if let precondition, !precondition(json) { outcome = .preconditionFailed; return [] }
            guard var document = try view.bookDocument(id: id) else { throw .corrupt("book \(id) holds invalid JSON") }
            patch.apply(to: &document)
            let encoded = try encode(document)
            outcome = .updated(Array(encoded.json))
            return [.putBook(encoded)]
        }
        return outcome
    }

    func deleteBook(id: String) throws(StoreError) -> Bool {
        var found = false
        try write { view throws(StoreError) in
            guard try view.bookExists(id: id) else { return [] }
            found = true
            return [.deleteBook(id: id)]
        }
        return found
    }

    func seedBooks(_ books: [JSONObject], replace: Bool) throws(StoreError) -> Int {
        var inserted = 0
        try write(exclusive: true) { view throws(StoreError) in
            var changes: [StoreChange] = []
            var taken: Set<String> = []
            if replace {
                view.state.books.forEachInInsertionOrder { changes.append(.deleteBook(id: String(decoding: view.state.books.idBytes($0), as: UTF8.self))) }
            }
            for book in books {
                guard case .string(let id)? = book["id"], taken.insert(id).inserted else { continue }
                if !replace, try view.bookExists(id: id) { continue }
                changes.append(.putBook(try encode(book)))
                inserted += 1
            }
            return changes
        }
        compactIfWorthIt()
        return inserted
    }

    /// Encodes a book once, for the size check, the journal and the table.
    private func encode(_ document: JSONObject) throws(StoreError) -> EncodedBook {
        guard let book = EncodedBook(document) else { throw .invalid("a book needs a string id, and a year and score that fit 32 bits") }
        guard book.row.jsonCount <= maxDocumentBytes else { throw .documentTooLarge(limit: maxDocumentBytes) }
        return book
    }

    /// Decides changes against the durable state, journals them, waits until they are durable, and
    /// only then makes them visible. A failed disk write fails every change
    /// after the last durable one; none of them was ever visible, so memory needs no rebuild.
    func write(exclusive: Bool = false, _ decide: (WriterView) throws(StoreError) -> [StoreChange]) throws(StoreError) {
        while true {
            writers.lock()
            let changes: [StoreChange]
            var ticket: UInt64 = 0
            do throws(StoreError) {
                changes = try decide(WriterView(state: state, pending: pending))
                for change in changes {
                    ticket = try journal.append(change.payload)
                    if !exclusive { pending.append(change, ticket: ticket) }
                }
            } catch .pendingWrite(let earlier) {
                // It depends on a change not yet durable: wait for that fsync (or its failure), then decide again.
                writers.unlock()
                if (try? journal.waitDurable(earlier)) != nil { publishDurable() } else { writers.withLock { recoverFromWriteFailureLocked() } }
                continue
            } catch {
                writers.unlock()
                throw error
            }
            if exclusive {
                // A bulk write (seeding) holds the writers through its fsync, then applies directly,
                // after whatever was pending before it: no entry per book in `pending`.
                defer { writers.unlock() }
                guard !changes.isEmpty else { return }
                do throws(StoreError) {
                    try journal.waitDurable(ticket)
                } catch {
                    recoverFromWriteFailureLocked()
                    throw error
                }
                let earlier = pending.takeDurable(through: journal.durableTicket)
                lock.withWriteLock {
                    state.apply(earlier)
                    state.apply(changes)
                }
                return
            }
            writers.unlock()
            guard !changes.isEmpty else { return }
            do throws(StoreError) {
                try journal.waitDurable(ticket)
            } catch {
                writers.withLock { recoverFromWriteFailureLocked() }
                throw error
            }
            if published.load(ordering: .acquiring) < ticket { publishDurable() }
            compactIfWorthIt()
            return
        }
    }

    /// Applies every change whose fsync has returned, in journal order. Whoever gets here first
    /// applies a whole group commit; the others find nothing left.
    private func publishDurable() {
        writers.withLock {
            let durable = journal.durableTicket
            let ready = pending.takeDurable(through: durable)
            if !ready.isEmpty { lock.withWriteLock { state.apply(ready) } }
            published.store(durable, ordering: .releasing)  // nothing at or below it is left pending
        }
    }

    private func recoverFromWriteFailureLocked() {
        guard journal.isBroken else { return }  // another writer already recovered
        let durable = journal.durableTicket
        let ready = pending.takeDurable(through: durable)
        if !ready.isEmpty { lock.withWriteLock { state.apply(ready) } }
        pending.dropAll(after: durable)
        try? journal.truncateToDurable()  // if this fails too, the journal stays broken and /readyz says so
    }

    // MARK: compaction

    /// Compacts when the journal has grown to more than twice the live data, or past the tail a
    /// restart should replay at most.
    private func compactIfWorthIt() {
        let size = journal.currentSize
        guard size > compactMinBytes else { return }
        let live = lock.withReadLock { state.liveBytes }
        guard size > 2 * live + 4096 || size > journalTailBytes else { return }  // checked without holding the writers
        writers.withLock {
            guard !snapshotting, journal.currentSize > 2 * live + 4096 || journal.currentSize > journalTailBytes else { return }
            startCompactionLocked()
        }
    }

    /// With `writers` held: publishes what is durable, rotates the journal, and hands a copy of the
    /// state, which now matches the journals exactly, to a background thread that writes the snapshot.
    private func startCompactionLocked() {
        guard !snapshotting else { return }
        if let last = pending.queue.last?.ticket {
            // In-flight writes were journaled before the rotation: make them durable and visible
            // first, so the copy holds exactly what the archived journal does. New writers wait.
            do throws(StoreError) { try journal.waitDurable(last) } catch { return }
        }
        let ready = pending.takeDurable(through: journal.durableTicket)
        if !ready.isEmpty { lock.withWriteLock { state.apply(ready) } }
        let next = generation + 1
        do throws(StoreError) {
            try journal.rotate(archivedName: StoreFiles.archived(generation), generation: next)
        } catch {
            return  // the old journal stays valid and live; retried after a later write
        }
        generation = next
        snapshotting = true
        let copy = lock.withReadLock { state }  // copy-on-write: free until the next write
        let directory = path, disk = self.disk
        startThread(name: "snapshot") { [self] in
            let written = Self.writeSnapshot(copy, generation: next, directory: directory, disk: disk)
            if written { StoreFiles.removeArchived(before: next, directory: directory, disk: disk) }
            writers.withLock { snapshotting = false }
        }
    }

    /// Writes `books.snapshot.tmp`, syncs it, renames it over `books.snapshot` and syncs the
    /// directory. On failure the archived journal stays, and the next open replays it.
    static func writeSnapshot(_ state: StoreState, generation: UInt64, directory: String, disk: StoreDisk) -> Bool {
        let bytes = SnapshotFormat.encode(state, generation: generation)
        let temporary = directory + "/" + StoreFiles.snapshotTemporary
        do throws(StoreError) {
            try disk.writeWhole(temporary, bytes)
            try disk.rename(temporary, directory + "/" + StoreFiles.snapshot)
        } catch {
            disk.unlink(temporary)
            return false
        }
        disk.syncDirectory(directory)
        return true
    }

    /// Stops the journal's thread once the snapshot in progress is written (tests; a process just exits).
    func close() {
        waitForSnapshot()
        journal.close()
    }

    /// Starts a compaction now, whatever the sizes (tests, and a future admin route).
    func compactNow() { writers.withLock { startCompactionLocked() } }

    /// Waits until no snapshot is being written (for tests and orderly shutdown).
    func waitForSnapshot() {
        while writers.withLock({ snapshotting }) { usleep(2000) }
    }

    /// Cuts a damaged journal at its first bad record, after copying it aside. For `BooksAPI repair`.
    static func repair(directory path: String) throws(StoreError) -> String {
        let held = try DataDirectory(path: path)  // refuse while a server has the directory
        defer { withExtendedLifetime(held) {} }
        return try JournalRepair.run(path: path + "/" + StoreFiles.journal)
    }
}
