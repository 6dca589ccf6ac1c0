import HTTPServer
import JSON

/// The store used when no MongoDB is configured: books in memory, indexed, behind a
/// reader-writer lock; every change appended to a checksummed journal and fsynced before it is
/// acknowledged. Reads never block, so the routes run them on the I/O threads.
final class EmbeddedStore: BookStore, @unchecked Sendable {  // `state` is guarded by `lock`
    static let collection = "books"
    let readsAreNonBlocking = true
    private let directory: DataDirectory
    let journal: Journal
    private let lock = ReadWriteLock()
    /// Every collection, guarded by `lock`. Always mutated in place (`state.books.put`), never
    /// through a copy: a get/set pair would copy every index on each write (copy-on-write).
    var state = StoreState()
    private let maxDocumentBytes: Int
    private let compactMinBytes: Int
    /// True when the journal did not exist before: the caller seeds the sample books.
    let isNew: Bool

    init(directory path: String, maxDocumentBytes: Int = 16 * 1024, compactMinBytes: Int = 1 << 20) throws(StoreError) {
        directory = try DataDirectory(path: path)
        let (journal, scan, created) = try Journal.open(directory: path)
        self.journal = journal
        self.maxDocumentBytes = maxDocumentBytes
        self.compactMinBytes = compactMinBytes
        isNew = created
        try state.replay(scan.records)
    }

    // MARK: reads

    func listBooks(_ query: BookQuery) throws(StoreError) -> BookPage {
        lock.withReadLock { state.books.page(query) }
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
        guard case .string(let id)? = book["id"] else { throw .invalid("book without an id") }
        try write { () throws(StoreError) -> UInt64 in
            if state.books.row(id: id) != nil { throw .duplicateID(id) }
            return try putLocked(book)
        }
    }

    func updateBook(id: String, patch: BookPatch, precondition: (([UInt8]) -> Bool)?) throws(StoreError) -> UpdateOutcome {
        var outcome = UpdateOutcome.notFound
        try write { () throws(StoreError) -> UInt64? in
            guard let json = state.books.json(id: id) else { return nil }
            if let precondition, !precondition(json) { outcome = .preconditionFailed; return nil }
            guard var document = state.books.document(id: id) else { throw .corrupt("book \(id) holds invalid JSON") }
            patch.apply(to: &document)
            let ticket = try putLocked(document)
            outcome = .updated(state.books.json(id: id)!)
            return ticket
        }
        return outcome
    }

    func deleteBook(id: String) throws(StoreError) -> Bool {
        var found = false
        try write { () throws(StoreError) -> UInt64? in
            guard state.books.row(id: id) != nil else { return nil }
            let ticket = try journal.append(JournalFormat.payload(.delete, collection: Self.collection, data: Array(id.utf8)))
            state.books.remove(id: id)
            found = true
            return ticket
        }
        return found
    }

    func seedBooks(_ books: [JSONObject], replace: Bool) throws(StoreError) -> Int {
        var inserted = 0
        try write { () throws(StoreError) -> UInt64? in
            var last: UInt64?
            if replace {
                var ids: [[UInt8]] = []
                state.books.forEachInInsertionOrder { ids.append(Array(state.books.idBytes($0))) }
                for id in ids { last = try journal.append(JournalFormat.payload(.delete, collection: Self.collection, data: id)) }
                state.books.removeAll()
            }
            for book in books {
                guard case .string(let id)? = book["id"], state.books.row(id: id) == nil else { continue }
                last = try putLocked(book)
                inserted += 1
            }
            return last
        }
        return inserted
    }

    /// Journals and applies a whole document; call under the write lock.
    private func putLocked(_ document: JSONObject) throws(StoreError) -> UInt64 {
        var json: [UInt8] = []
        JSONWriter.writeObject(document, into: &json)
        guard json.count <= maxDocumentBytes else { throw .documentTooLarge(limit: maxDocumentBytes) }
        let ticket = try journal.append(JournalFormat.payload(.put, collection: Self.collection, data: json))
        state.books.put(document)
        return ticket
    }

    /// Runs `change` under the write lock, then waits for its journal record to be durable.
    /// If the disk write fails, memory is rebuilt from the journal, so nothing unacknowledged stays visible.
    func write(_ change: () throws(StoreError) -> UInt64?) throws(StoreError) {
        let ticket = try lock.withWriteLock { () throws(StoreError) -> UInt64? in try change() }
        guard let ticket else { return }
        do throws(StoreError) {
            try journal.waitDurable(ticket)
        } catch {
            try? recoverFromWriteFailure()
            throw error
        }
        compactIfWorthIt()
    }

    private func recoverFromWriteFailure() throws(StoreError) {
        try lock.withWriteLock { () throws(StoreError) in
            guard journal.isBroken else { return }  // another writer already recovered
            let contents = try journal.truncateToDurable()
            var rebuilt = StoreState()
            try rebuilt.replay(JournalFormat.scan(contents).records)
            state = rebuilt
        }
    }

    /// Rewrites the journal as a snapshot when it has grown to more than twice the live data.
    private func compactIfWorthIt() {
        let size = journal.currentSize
        guard size > compactMinBytes, size > 2 * lock.withReadLock({ state.liveBytes }) + 4096 else { return }
        lock.withWriteLock {
            guard journal.currentSize > 2 * state.liveBytes + 4096 else { return }  // another writer compacted
            try? journal.rewrite(state.snapshot())  // on failure the old journal stays valid; retried after the next write
        }
    }

    /// Cuts a damaged journal at its first bad record, after copying it aside. For `BooksAPI repair`.
    static func repair(directory path: String) throws(StoreError) -> String {
        let held = try DataDirectory(path: path)  // refuse while a server has the directory
        defer { withExtendedLifetime(held) {} }
        return try JournalRepair.run(path: path + "/books.journal")
    }
}
