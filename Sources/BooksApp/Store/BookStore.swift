import JSON

/// What the routes need from a place that keeps books. Routes never know which store they have.
/// Calls are synchronous; a store that may block says so, and the routes then run it on the work pool.
protocol BookStore: AnyObject, Sendable {
    /// True when reads are in memory and never block, so they may run on an I/O thread.
    var readsAreNonBlocking: Bool { get }

    /// One page of books, as their stored JSON bytes, with the count of all matches.
    func listBooks(_ query: BookQuery) throws(StoreError) -> BookPage
    /// The book's JSON bytes, or nil.
    func book(id: String) throws(StoreError) -> [UInt8]?
    /// Inserts a validated book that carries its id. A duplicate id throws `.duplicateID`.
    func insertBook(_ book: JSONObject) throws(StoreError)
    /// A batch: all or none where the store can (the embedded store); otherwise in order, saying
    /// exactly how far it got.
    func insertBooks(_ books: [JSONObject]) throws(StoreError) -> BatchInsertOutcome
    /// Applies `patch` atomically; `precondition` sees the current JSON bytes (If-Match).
    func updateBook(id: String, patch: BookPatch, precondition: (([UInt8]) -> Bool)?) throws(StoreError) -> UpdateOutcome
    func deleteBook(id: String) throws(StoreError) -> Bool
    /// Throws when the store cannot serve (for /readyz).
    func checkReady() throws(StoreError)
    /// Loads books: with `replace`, all existing books go first; without, existing ids are kept.
    func seedBooks(_ books: [JSONObject], replace: Bool) throws(StoreError) -> Int
}

struct BookPage {
    /// The number of matches; nil when the client asked for none (`Prefer: count=none`).
    var total: Int?
    var items: [[UInt8]]
    /// With keyset paging: where the next page starts, when this one is full.
    var next: PageCursor? = nil
}

/// The outcome of a batch of new books.
enum BatchInsertOutcome: Equatable, Sendable {
    case inserted
    /// Refused whole: these ids exist already; nothing was written.
    case duplicates([String])
    /// Written in order up to `failedIndex` (not atomic: a standalone MongoDB), which failed.
    case partial(written: [String], failedIndex: Int, reason: String)
}

enum UpdateOutcome: Equatable {
    case updated([UInt8])
    case notFound
    case preconditionFailed
}

/// Store failures, named by what happened; only the HTTP layer picks status codes.
enum StoreError: Error, Equatable {
    case duplicateID(String)
    case documentTooLarge(limit: Int)
    case storageFull(String)
    case unavailable(String)
    case timeout(String)
    /// The write may or may not have lasted (MongoDB applied it on the primary, but its write
    /// concern failed); the message says so and how to find out. `timedOut`: a wtimeout.
    case outcomeUnknown(String, timedOut: Bool)
    /// The store cannot serve until an operator acts (MongoDB refused an index it needs); the
    /// message says what to do, in words safe to show.
    case misconfigured(String)
    /// A write the data's own size limit refuses (a resource whose allocations fill MongoDB's
    /// 16 MiB document); the message says what to do.
    case full(String)
    case corrupt(String)
    case invalid(String)
    /// Inside the embedded store only: the write touches a key with a pending (not yet durable)
    /// change, so it must wait for that ticket and decide again. Never leaves `EmbeddedStore.write`.
    case pendingWrite(ticket: UInt64)
}
