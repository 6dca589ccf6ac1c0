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
    /// Applies `patch` atomically; `precondition` sees the current JSON bytes (If-Match).
    func updateBook(id: String, patch: BookPatch, precondition: (([UInt8]) -> Bool)?) throws(StoreError) -> UpdateOutcome
    func deleteBook(id: String) throws(StoreError) -> Bool
    /// Throws when the store cannot serve (for /readyz).
    func checkReady() throws(StoreError)
    /// Loads books: with `replace`, all existing books go first; without, existing ids are kept.
    func seedBooks(_ books: [JSONObject], replace: Bool) throws(StoreError) -> Int
}

struct BookPage {
    var total: Int
    var items: [[UInt8]]
}

enum UpdateOutcome: Equatable {
    case updated([UInt8])
    case notFound
    case preconditionFailed
}

/// A change to a book's top-level fields, built and validated by the routes.
struct BookPatch: Sendable, Equatable {
    enum Operation: Sendable, Equatable {
        /// Replace the field's value ($set).
        case set(String, JSONValue)
        /// Remove the field ($unset).
        case remove(String)
        /// Merge an object into the field by RFC 7396 rules (nulls remove nested keys).
        case merge(String, JSONObject)
    }
    var operations: [Operation] = []

    /// Applies the patch to a document, as both stores must.
    func apply(to document: inout JSONObject) {
        for operation in operations {
            switch operation {
            case .set(let key, let value): document[key] = value
            case .remove(let key): document[key] = nil
            case .merge(let key, let patch): document[key] = .object(Self.mergePatch(document[key]?.objectValue ?? JSONObject(), patch))
            }
        }
    }

    /// RFC 7396 §2 MergePatch, for object targets.
    static func mergePatch(_ target: JSONObject, _ patch: JSONObject) -> JSONObject {
        var result = target
        for field in patch {
            if case .null = field.value {
                result[field.key] = nil
            } else if case .object(let inner) = field.value {
                result[field.key] = .object(mergePatch(result[field.key]?.objectValue ?? JSONObject(), inner))
            } else {
                result[field.key] = field.value
            }
        }
        return result
    }
}

/// Store failures, named by what happened; only the HTTP layer picks status codes.
enum StoreError: Error, Equatable {
    case duplicateID(String)
    case documentTooLarge(limit: Int)
    case storageFull(String)
    case unavailable(String)
    case timeout(String)
    case corrupt(String)
    case invalid(String)
}
