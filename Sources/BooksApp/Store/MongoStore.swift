import JSON
import MongoBridge
import Synchronization

/// Books in MongoDB, through MongoBridge. Every call blocks on the network, so the routes run it on
/// the work pool. User input only ever becomes a value (`$eq`, an escaped `$regex`), never an
/// operator or a field path.
final class MongoStore: BookStore, Sendable {
    let readsAreNonBlocking = false
    static let collection = "books"
    let pool: MongoPool
    let maxDocumentBytes: Int
    /// Whether the indexes are in place (see MongoStore+Indexes.swift).
    let indexState = Mutex<IndexState>(.pending("the indexes are being created"))
    private static let withoutID: Document = ["_id": .int32(0)]
    /// Sent with every find: a sort no index serves may spill to disk instead of failing with
    /// QueryExceededMemoryLimitNoDiskUseAllowed (292) on MongoDB 5.0, and every query stops at
    /// maxTimeMS (MaxTimeMSExpired, 50: answered 504) before the socket timeout would cut it.
    let findOptions: Document
    /// Sent with every count.
    let countOptions: Document
    /// Sent with every update and delete. The simple collation (binary comparison) everywhere:
    /// a collection created with a default collation would otherwise compare ids by it, and
    /// "A1" could update "a1" (https://www.mongodb.com/docs/manual/reference/collation/).
    static let writeOptions: Document = ["collation": simpleCollation]
    static let simpleCollation: BSON = .document(["locale": .string("simple")])

    /// Above this many busy resources, the availability search filters by `$not $elemMatch`
    /// instead of sending the busy ids (20,000 ids are about 0.5 MB, far below the 16 MiB limit).
    let busyIDLimit: Int

    init(pool: MongoPool, maxDocumentBytes: Int, maxTimeMS: Int = 4000, busyIDLimit: Int = 20_000) {
        self.pool = pool
        self.busyIDLimit = busyIDLimit
        self.maxDocumentBytes = maxDocumentBytes
        findOptions = ["allowDiskUse": .bool(true), "maxTimeMS": .int64(Int64(maxTimeMS)), "collation": Self.simpleCollation]
        countOptions = ["maxTimeMS": .int64(Int64(maxTimeMS)), "collation": Self.simpleCollation]
    }

    // MARK: reads

    func listBooks(_ query: BookQuery) throws(StoreError) -> BookPage {
        let filter = Self.filter(for: query)
        var pageFilter = filter
        if let after = query.after { pageFilter = filter.isEmpty ? Self.keysetFilter(after) : ["$and": .array([.document(filter), .document(Self.keysetFilter(after))])] }
        let sort = Self.sortDocument(query.sort.map { ($0.field.rawValue, $0.ascending) })
        // Insertion order pages by `_id`, so a keyset page over it keeps `_id` (the JSON drops it).
        let projection: Document? = query.keyset && query.sort.isEmpty ? nil : Self.withoutID
        return try call { () throws(MongoError) -> BookPage in
            try pool.collection(Self.collection) { (c) throws(MongoError) -> BookPage in
                var items: [[UInt8]] = []
                var last: Document?
                if query.limit > 0 {
                    try c.find(pageFilter, sort: sort, skip: query.skip, limit: query.limit, projection: projection, options: findOptions) { (doc) throws(MongoError) -> Bool in
                        items.append(Self.json(doc))
                        last = doc
                        return true
                    }
                }
                var page = BookPage(total: try count(query, filter, page: items.count, in: c), items: items)
                if query.keyset, items.count == query.limit, let last { page.next = Self.cursor(after: last, sort: query.sort.first) }
                return page
            }
        }
    }

    /// The cursor after `document`, the last of a full keyset page.
    static func cursor(after document: Document, sort: BookSort?) -> PageCursor {
        let book = BookValidator.normalizeStored(document.json)
        let id = book["id"]?.stringValue ?? ""
        guard let sort else {
            let position: String? = if case .objectID(let oid)? = document["_id"] { oid.description } else { nil }
            return PageCursor(sort: nil, key: .null, id: id, position: position)
        }
        return PageCursor(sort: sort, key: book[sort.field.rawValue] ?? .null, id: id, position: nil)
    }

    /// The rows after a cursor under its sort (field, then id, in the sort's direction), as a range
    /// filter the sort's index answers, never a skip. MongoDB compares only within a type bracket
    /// and sorts a missing field first, so null cursors and descending walks name the nulls apart
    /// (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/).
    static func keysetFilter(_ cursor: PageCursor) -> Document {
        guard let sort = cursor.sort else {
            guard let hex = cursor.position, let oid = ObjectID(hex: hex) else { return ["_id": .document(["$exists": .bool(false)])] }
            return ["_id": .document(["$gt": .objectID(oid)])]
        }
        let step = sort.ascending ? "$gt" : "$lt"
        let field = sort.field.rawValue, id = BSON.string(cursor.id)
        if sort.field == .id { return ["id": .document([step: id])] }
        let key: BSON
        switch cursor.key {
        case .string(let s): key = .string(s)
        case .int(let i): key = .int64(i)
        case .bool(let b): key = .bool(b)
        default: key = .null
        }
        if case .null = key {
            let tie: Document = [field: .null, "id": .document([step: id])]
            // Ascending, nulls come first: then every value. Descending, nulls come last.
            return sort.ascending ? ["$or": .array([.document(tie), .document([field: .document(["$ne": .null])])])] : tie
        }
        var branches: [BSON] = [.document([field: .document([step: key])]), .document([field: key, "id": .document([step: id])])]
        if !sort.ascending { branches.append(.document([field: .null])) }
        return ["$or": .array(branches)]
    }

    /// `X-Total-Count`, as cheaply as the client allows: none for `Prefer: count=none`; the count a
    /// short page proves; an unfiltered list's metadata count unless `count=exact` forces the scan;
    /// else countDocuments, which runs on the same index as the filter.
    func count(_ query: BookQuery, _ filter: Document, page: Int, in c: MongoCollection) throws(MongoError) -> Int? {
        if query.count == CountPreference.none { return nil }
        if !query.keyset, let proven = Self.total(afterPage: page, query.skip, query.limit) { return proven }
        if filter.isEmpty && query.count != .exact { return try c.estimatedDocumentCount(options: countOptions) }
        return try c.countDocuments(filter, options: countOptions)
    }

    /// The match count a page already proves, saving the count command: a page that came back
    /// short ends the matches. A full page, or an empty one past the start, needs the count.
    static func total(afterPage count: Int, _ skip: Int, _ limit: Int) -> Int? {
        guard limit > 0, count < limit, count > 0 || skip == 0 else { return nil }
        return skip + count
    }

    func book(id: String) throws(StoreError) -> [UInt8]? {
        try call { () throws(MongoError) -> [UInt8]? in
            try pool.collection(Self.collection) { (c) throws(MongoError) -> [UInt8]? in
                try c.findOne(Self.byID(id), projection: Self.withoutID, options: findOptions).map(Self.json)
            }
        }
    }

    func checkReady() throws(StoreError) {
        try call { () throws(MongoError) in try pool.ping() }
        try requireUniqueIDIndex()
    }

    // MARK: writes

    func insertBook(_ book: JSONObject) throws(StoreError) {
        try requireUniqueIDIndex()
        let id = book["id"]?.stringValue ?? ""
        let advice = "GET /books/\(id) shows whether it was kept; send it again only if that answers 404 (a repeat would be a second book)"
        try call(advice: advice, id: id) { () throws(MongoError) in
            try pool.collection(Self.collection) { (c) throws(MongoError) in try c.insertOne(Document(json: book)) }
        }
    }

    /// One ordered insertMany: not atomic without a transaction, so the answer names the books
    /// written before the first that failed (ordered inserts stop there); with ids the client
    /// chose, sending the rest again is safe.
    func insertBooks(_ books: [JSONObject]) throws(StoreError) -> BatchInsertOutcome {
        try requireUniqueIDIndex()
        let ids = books.map { $0["id"]?.stringValue ?? "" }
        let advice = "GET each /books/{id} shows which were kept; send again only those that answer 404"
        return try call(advice: advice, id: ids.first) { () throws(MongoError) -> BatchInsertOutcome in
            try pool.collection(Self.collection) { (c) throws(MongoError) -> BatchInsertOutcome in
                guard let failure = try c.insertMany(books.map { Document(json: $0) }) else { return .inserted }
                let reason: String = if case .duplicateKey = failure.error { "a book with id \(ids[failure.index]) exists already" } else { failure.error.message }
                if failure.index == 0, case .duplicateKey = failure.error { return .duplicates([ids[0]]) }
                return .partial(written: Array(ids[..<failure.index]), failedIndex: failure.index, reason: reason)
            }
        }
    }

    /// Read, check, apply the patch in Swift (the same code the embedded store runs), then write
    /// back with findAndModify matching the exact document read: a compare-and-swap. If another
    /// writer got there first, try again (and an If-Match then fails, as it should).
    func updateBook(id: String, patch: BookPatch, precondition: (([UInt8]) -> Bool)?) throws(StoreError) -> UpdateOutcome {
        let attempt = try call(advice: Self.repeatable) { () throws(MongoError) -> CompareAndSwap<UpdateOutcome> in
            try pool.collection(Self.collection) { (c) throws(MongoError) -> CompareAndSwap<UpdateOutcome> in
                for _ in 0..<8 {
                    guard let current = try c.findOne(Self.byID(id), options: findOptions, primary: true) else { return .done(.notFound) }
                    let currentBook = BookValidator.normalizeStored(current.json)
                    var currentJSON: [UInt8] = []
                    JSONWriter.writeObject(currentBook, into: &currentJSON)
                    if let precondition, !precondition(currentJSON) { return .done(.preconditionFailed) }
                    var updated = currentBook
                    patch.apply(to: &updated)
                    var updatedJSON: [UInt8] = []
                    JSONWriter.writeObject(updated, into: &updatedJSON)
                    guard updatedJSON.count <= maxDocumentBytes else { return .tooLarge }
                    if try c.findOneAndUpdate(current, update: Document(json: updated), projection: Self.withoutID, options: Self.writeOptions) != nil {
                        return .done(.updated(updatedJSON))
                    }
                }
                return .contended
            }
        }
        return try attempt.outcome(maxDocumentBytes: maxDocumentBytes, what: "the book")
    }

    func deleteBook(id: String) throws(StoreError) -> Bool {
        try call(advice: Self.repeatable) { () throws(MongoError) -> Bool in
            try pool.collection(Self.collection) { (c) throws(MongoError) -> Bool in try c.deleteOne(Self.byID(id), options: Self.writeOptions) > 0 }
        }
    }

    func seedBooks(_ books: [JSONObject], replace: Bool) throws(StoreError) -> Int {
        if replace { try call { () throws(MongoError) in try pool.collection(Self.collection) { (c) throws(MongoError) in try c.drop() } } }
        do throws(IndexFailure) {
            try createIndexes()
        } catch {
            if case .failed(let reason) = error.state { throw .misconfigured(reason) }
            throw .unavailable(error.error.message)
        }
        var inserted = 0
        for book in books {
            do throws(StoreError) {
                try insertBook(book)
                inserted += 1
            } catch .duplicateID {
                continue  // already there: seeding keeps existing books
            }
        }
        return inserted
    }

    // MARK: queries from typed values only

    static let credentialsRefused =
        "MongoDB refused the credentials in MONGODB_URL (authentication failed); check the user name, password, authSource and authMechanism"

    /// For a write that repeating cannot make worse: a merge patch, a rename, a delete.
    static let repeatable = "sending the same request again is safe"

    static func byID(_ id: String) -> Document { ["id": .document(["$eq": .string(id)])] }

    /// The same order as the embedded store: no keys, insertion order (ObjectIds grow); one key, ties
    /// on id in the same direction; two keys, ties on id ascending.
    static func sortDocument(_ keys: [(field: String, ascending: Bool)]) -> Document {
        guard !keys.isEmpty else { return ["_id": .int32(1)] }
        var sort = Document()
        for key in keys { sort[key.field] = .int32(key.ascending ? 1 : -1) }
        if sort["id"] == nil { sort["id"] = .int32(keys.count == 1 && !keys[0].ascending ? -1 : 1) }
        return sort
    }

    static func filter(for query: BookQuery) -> Document {
        var filter = Document()
        if let author = query.author { filter["author"] = .document(["$eq": .string(author)]) }
        // The original data stores read as 1 and 0; match both spellings.
        if let read = query.read { filter["read"] = .document(["$in": .array([.bool(read), .int32(read ? 1 : 0)])]) }
        if query.yearFrom != nil || query.yearTo != nil {
            var range = Document()
            if let from = query.yearFrom { range["$gte"] = .int64(from) }
            if let to = query.yearTo { range["$lte"] = .int64(to) }
            filter["year"] = .document(range)
        }
        if let text = query.text {
            let pattern = BSON.document(["$regex": .string(escapeRegex(text)), "$options": .string("i")])
            filter["$or"] = .array([.document(["title": pattern]), .document(["author": pattern])])
        }
        return filter
    }

    /// Escapes every ASCII character that is not a letter, digit or space, so the text is matched
    /// literally by MongoDB's PCRE, whatever the user typed.
    static func escapeRegex(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, !(scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == " ") { out.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    static func json(_ document: Document) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.writeObject(BookValidator.normalizeStored(document.json), into: &out)
        return out
    }

    /// MongoBridge errors named as store errors; the routes choose the statuses. `advice` tells a
    /// client whose write's outcome is unknown how to find out and whether a retry is safe;
    /// `full` what to do when the write would pass MongoDB's 16 MiB document limit; `id` the id a
    /// duplicate-key refusal is about.
    func call<T>(advice: String? = nil, full: String? = nil, id: String? = nil, _ body: () throws(MongoError) -> T) throws(StoreError) -> T {
        do throws(MongoError) {
            return try body()
        } catch {
            // MongoBridge has classified it; this only names it for the routes. libmongoc's
            // messages can quote the connection string: no secret reaches a log line.
            let m = Redaction.mongoURL(error.message)
            switch error {
            case .duplicateKey: throw .duplicateID(id ?? "(not named by MongoDB)")  // its message names the index, not the id
            case .unreachable, .poolExhausted, .transient, .connectionLost: throw .unavailable(m)
            case .timeout: throw .timeout(m)
            case .writeConcern(let code, _, let timedOut):
                let what = "the write reached the primary, but MongoDB did not confirm its write concern (error \(code)\(timedOut ? ", wtimeout" : "")), so its outcome is unknown"
                throw .outcomeUnknown(advice.map { "\(what); \($0)" } ?? what, timedOut: timedOut)
            case .authentication: throw .misconfigured(Self.credentialsRefused)
            case .tooLarge: throw .full(full ?? "the document would pass MongoDB's 16 MiB limit")
            case .server, .invalidDocument, .configuration, .driver: throw .invalid(m)
            }
        }
    }
}

/// The result of a read-check-write loop that ends in a compare-and-swap: done, a document that
/// would grow past MAX_DOCUMENT_BYTES, or other writers winning every round.
enum CompareAndSwap<Outcome> {
    case done(Outcome)
    case tooLarge
    case contended

    func outcome(maxDocumentBytes: Int, what: String) throws(StoreError) -> Outcome {
        switch self {
        case .done(let outcome): return outcome
        case .tooLarge: throw .documentTooLarge(limit: maxDocumentBytes)
        case .contended: throw .unavailable("\(what) kept changing under concurrent writes; try again")
        }
    }
}
