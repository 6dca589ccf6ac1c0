import Glibc
import HTTPServer
import MongoBridge

/// The indexes the MongoDB store relies on, created at start and never on a request: a failure
/// that will not pass (duplicate ids, a clashing index, no privilege) is a configuration error,
/// logged once with its remedy and shown on /readyz, not a 409 or 500 on every insert.
extension MongoStore {
    /// The indexes of `books`: the unique id; `author` as the original script made it; for each
    /// sort field the field then id, so every single-key sort (with its id tie-break, either way)
    /// and an exact-author or year-range filter under it walk an index instead of sorting; and the
    /// same behind `read`, so `read=` under any single sort does too (equality, then sort: the
    /// ESR rule, https://www.mongodb.com/docs/manual/tutorial/equality-sort-range-guideline/).
    /// Left to a blocking sort, which allowDiskUse lets spill: two-key sorts (their direction
    /// pairs would need 40 more indexes) and an author filter under a sort (a few hundred matches
    /// at most, sorted in memory). `q` is an unanchored case-insensitive regex, which no index can
    /// serve: it scans, bounded by maxTimeMS.
    static let bookIndexes: [MongoCollection.Index] = {
        var indexes: [MongoCollection.Index] = [
            .init(keys: ["id": .int32(1)], name: "id_1", unique: true),
            .init(keys: ["author": .int32(1)], name: "author_1"),
        ]
        for field in BookSortField.allCases where field != .id {
            indexes.append(.init(keys: [field.rawValue: .int32(1), "id": .int32(1)], name: "\(field.rawValue)_1_id_1"))
        }
        for field in BookSortField.allCases where field != .read {
            var keys: Document = ["read": .int32(1), field.rawValue: .int32(1)]
            if field != .id { keys["id"] = .int32(1) }
            indexes.append(.init(keys: keys, name: field == .id ? "read_1_id_1" : "read_1_\(field.rawValue)_1_id_1"))
        }
        return indexes
    }()

    /// Creates every index once, synchronously (start-up and `seed` call it; never a request),
    /// with the simple collation every query sends, so a collection's default collation can
    /// neither change how ids compare nor keep the queries off their indexes. Throws the
    /// collection it failed on with MongoDB's error.
    func createIndexes() throws(IndexFailure) {
        let targets = [(Self.collection, Self.bookIndexes)] + ResourceKind.all.map { ($0.collection, Self.resourceIndexes) } + [(Self.detailsCollection, Self.detailsIndexes)]
        for (name, indexes) in targets {
            do throws(MongoError) {
                try pool.collection(name) { (c) throws(MongoError) in try c.createIndexes(indexes, collation: Self.simpleCollation) }
            } catch {
                throw IndexFailure(database: pool.databaseName, collection: name, error: error)
            }
        }
        do throws(MongoError) {
            try normaliseLegacyRead()
        } catch {
            throw IndexFailure(database: pool.databaseName, collection: Self.collection, error: error)
        }
        indexState.withLock { $0 = .ready }
    }

    /// The original script stores `read` as 1 or 0, the API as true or false, and MongoDB sorts
    /// every number before every boolean, so `sortasc=read` would interleave old and new books
    /// unlike the embedded store. Rewritten once at start (idempotent; the read index finds them).
    func normaliseLegacyRead() throws(MongoError) {
        try pool.collection(Self.collection) { (c) throws(MongoError) in
            for value in [true, false] {
                let filter: Document = ["read": .document(["$eq": .int32(value ? 1 : 0)])]
                try c.updateMany(filter, update: ["$set": .document(["read": .bool(value)])], options: Self.writeOptions)
            }
        }
    }

    /// Start-up: one attempt now; if it fails, a thread of its own retries (transient failures
    /// after 0.25 s, doubling to 5 s; refusals every minute, since only an operator can fix
    /// them), logging each new reason once. /readyz and inserts answer 503 with the reason
    /// meanwhile; reads, updates and bookings go on.
    func ensureIndexes(log: AppLog) {
        do throws(IndexFailure) {
            try createIndexes()
            return
        } catch {
            record(error, log: log)
        }
        let thread = startThread(name: "mongo-indexes") { [self] in
            var delayMS = 250
            while true {
                let refused = if case .failed = indexState.withLock({ $0 }) { true } else { false }
                usleep(UInt32(refused ? 60_000_000 : delayMS * 1000))
                delayMS = min(delayMS * 2, 5000)
                do throws(IndexFailure) {
                    try createIndexes()
                    log.info("MongoDB indexes are in place")
                    return
                } catch {
                    record(error, log: log)
                }
            }
        }
        pthread_detach(thread)
    }

    private func record(_ failure: IndexFailure, log: AppLog) {
        let state = failure.state
        let changed = indexState.withLock { current in
            defer { current = state }
            return current != state
        }
        guard changed else { return }
        switch state {
        case .failed(let reason): log.error("MongoDB indexes: \(reason)")
        case .pending(let reason): log.warn("MongoDB indexes not created yet: \(reason); serving anyway, /readyz answers 503 until they are")
        case .ready: break
        }
    }

    /// Inserts need the unique index on `id`: without it two books could share an id.
    func requireUniqueIDIndex() throws(StoreError) {
        switch indexState.withLock({ $0 }) {
        case .ready: return
        case .pending(let reason): throw .unavailable(reason)
        case .failed(let reason): throw .misconfigured(reason)
        }
    }
}

/// Whether the indexes the store relies on are in place.
enum IndexState: Equatable, Sendable {
    /// Not yet: MongoDB was not reachable, or they are being created.
    case pending(String)
    case ready
    /// MongoDB refused them; what an operator must do, in words a log line and /readyz can show.
    case failed(String)
}

/// A createIndexes that failed, on which collection, and what it means.
struct IndexFailure: Error {
    var database: String
    var collection: String
    var error: MongoError

    var state: IndexState {
        let ns = "\(database).\(collection)"
        switch error {
        case .unreachable, .timeout, .transient, .poolExhausted:
            return .pending("MongoDB is not reachable (\(Redaction.mongoURL(error.message)))")
        case .duplicateKey:
            return .failed(
                "\(ns) holds documents that share an id, so its unique index on id cannot be built and inserts are refused; "
                    + "find them with db.\(collection).aggregate([{$group: {_id: \"$id\", n: {$sum: 1}}}, {$match: {n: {$gt: 1}}}]) "
                    + "and remove or renumber them (retried every minute)")
        case .server(let code, let m) where code == 85 || code == 86:
            return .failed(
                "an index on \(ns) has the keys or the name of one this server creates, with other options (\(m)); "
                    + "drop it (db.\(collection).getIndexes() lists them) and it is created again within a minute")
        case .authentication:
            return .failed(MongoStore.credentialsRefused + " (retried every minute)")
        case .server(13, _):
            return .failed("the MongoDB user may not create indexes in \(database); grant it readWrite on that database (retried every minute)")
        default:
            return .failed("MongoDB refused the indexes of \(ns): \(Redaction.mongoURL(error.description)) (retried every minute)")
        }
    }
}
