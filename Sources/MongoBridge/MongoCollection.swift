import CMongoC

/// One collection, borrowed from a pooled client for the length of a `MongoPool.collection` call.
/// Only standard MongoDB 5.0+ commands are used, through libmongoc's own helpers.
public struct MongoCollection {
    private let handle: OpaquePointer
    private let client: OpaquePointer
    public let database: String
    public let name: String

    init(handle: OpaquePointer, client: OpaquePointer, database: String, name: String) {
        self.handle = handle
        self.client = client
        self.database = database
        self.name = name
    }

    public func insertOne(_ document: Document) throws(MongoError) {
        let doc = try BSONHandle(document)
        var error = bson_error_t()
        let (ok, reply) = withReply { mongoc_collection_insert_one(handle, doc.pointer, nil, $0, &error) }
        if !ok { throw MongoError(error, reply: reply) }
    }

    /// One ordered insert command for all of them (the driver splits it past the server's batch
    /// limits), not one round trip per document. An ordered insert stops at its first failing
    /// document: `firstFailure` is its index and error (everything before it was written).
    @discardableResult
    public func insertMany(_ documents: [Document]) throws(MongoError) -> (index: Int, error: MongoError)? {
        guard !documents.isEmpty else { return nil }
        let handles = try documents.map { (d) throws(MongoError) -> BSONHandle in try BSONHandle(d) }
        var pointers: [OpaquePointer?] = handles.map(\.pointer)
        var error = bson_error_t()
        let (ok, reply) = withReply { reply in
            pointers.withUnsafeMutableBufferPointer { mongoc_collection_insert_many(handle, $0.baseAddress, $0.count, nil, reply, &error) }
        }
        withExtendedLifetime(handles) {}
        if ok { return nil }
        let failure = MongoError(error, reply: reply)
        if case .array(let errors)? = reply?["writeErrors"], case .document(let first)? = errors.first, let index = first["index"].flatMap(Self.int) {
            return (index, failure)
        }
        throw failure
    }

    /// Streams matching documents to `each` batch by batch through a cursor, never holding the
    /// whole result. `each` returns false to stop early (the cursor is then killed).
    public func find(
        _ filter: Document, sort: Document? = nil, skip: Int = 0, limit: Int = 0, projection: Document? = nil,
        batchSize: Int32? = nil, options extra: Document = [:], primary: Bool = false, _ each: (Document) throws(MongoError) -> Bool
    ) throws(MongoError) {
        var options = extra
        if let sort { options["sort"] = .document(sort) }
        if skip > 0 { options["skip"] = .int64(Int64(skip)) }
        if limit > 0 { options["limit"] = .int64(Int64(limit)) }
        if let projection { options["projection"] = .document(projection) }
        if let batchSize { options["batchSize"] = .int32(batchSize) }
        let filterHandle = try BSONHandle(filter), optionsHandle = try BSONHandle(options)
        // `primary`: this read decides a write, so it must see the latest one, whatever
        // readPreference the URL gives the other reads.
        let readPrefs = primary ? mongoc_read_prefs_new(MONGOC_READ_PRIMARY) : nil
        defer { if let readPrefs { mongoc_read_prefs_destroy(readPrefs) } }
        guard let cursor = mongoc_collection_find_with_opts(handle, filterHandle.pointer, optionsHandle.pointer, readPrefs) else {
            throw .driver("mongoc_collection_find_with_opts returned NULL")
        }
        try drain(cursor, each)
    }

    /// Runs an aggregation pipeline, streaming its results to `each` as `find` does.
    public func aggregate(_ stages: [Document], options: Document = [:], _ each: (Document) throws(MongoError) -> Bool) throws(MongoError) {
        let pipelineHandle = try BSONHandle(["pipeline": .array(stages.map(BSON.document))]), optionsHandle = try BSONHandle(options)
        guard let cursor = mongoc_collection_aggregate(handle, MONGOC_QUERY_NONE, pipelineHandle.pointer, optionsHandle.pointer, nil) else {
            throw .driver("mongoc_collection_aggregate returned NULL")
        }
        try drain(cursor, each)
    }

    /// Hands each document of `cursor` to `each` until it returns false, then destroys the cursor;
    /// throws the cursor's error, if it ended on one.
    private func drain(_ cursor: OpaquePointer, _ each: (Document) throws(MongoError) -> Bool) throws(MongoError) {
        defer { mongoc_cursor_destroy(cursor) }
        var current: OpaquePointer?
        while mongoc_cursor_next(cursor, &current) {
            guard let current, let document = decode(current) else { throw .invalidDocument("unreadable document from the server") }
            if try !each(document) { return }
        }
        var error = bson_error_t()
        var reply: OpaquePointer?
        if mongoc_cursor_error_document(cursor, &error, &reply) { throw MongoError(error, reply: reply.flatMap(decode)) }
    }

    public func findOne(_ filter: Document, projection: Document? = nil, options: Document = [:], primary: Bool = false) throws(MongoError) -> Document? {
        var found: Document?
        try find(filter, limit: 1, projection: projection, options: options, primary: primary) { (doc) throws(MongoError) -> Bool in
            found = doc; return false
        }
        return found
    }

    /// `options` go into the aggregate it runs (maxTimeMS, for one).
    public func countDocuments(_ filter: Document, options: Document = [:]) throws(MongoError) -> Int {
        let filterHandle = try BSONHandle(filter), optionsHandle = try BSONHandle(options)
        var error = bson_error_t()
        let (count, reply) = withReply { mongoc_collection_count_documents(handle, filterHandle.pointer, optionsHandle.pointer, nil, $0, &error) }
        if count < 0 { throw MongoError(error, reply: reply) }
        return Int(count)
    }

    /// The collection's document count from its metadata (the `count` command without a query),
    /// not a scan. It can be off after an unclean shutdown, and on a sharded cluster it counts
    /// orphaned documents too (https://www.mongodb.com/docs/manual/reference/method/db.collection.estimatedDocumentCount/).
    public func estimatedDocumentCount(options: Document = [:]) throws(MongoError) -> Int {
        let optionsHandle = try BSONHandle(options)
        var error = bson_error_t()
        let (count, reply) = withReply { mongoc_collection_estimated_document_count(handle, optionsHandle.pointer, nil, $0, &error) }
        if count < 0 { throw MongoError(error, reply: reply) }
        return Int(count)
    }

    /// Returns (matched, modified).
    @discardableResult
    public func updateOne(_ filter: Document, update: Document, upsert: Bool = false, options extra: Document = [:]) throws(MongoError) -> (matched: Int, modified: Int) {
        let filterHandle = try BSONHandle(filter), updateHandle = try BSONHandle(update)
        var options = extra
        if upsert { options["upsert"] = .bool(true) }
        let optionsHandle = try BSONHandle(options)
        var error = bson_error_t()
        let (ok, reply) = withReply { mongoc_collection_update_one(handle, filterHandle.pointer, updateHandle.pointer, optionsHandle.pointer, $0, &error) }
        if !ok { throw MongoError(error, reply: reply) }
        return (reply?["matchedCount"].flatMap(Self.int) ?? 0, reply?["modifiedCount"].flatMap(Self.int) ?? 0)
    }

    /// Applies `update` to every match; returns how many were modified.
    @discardableResult
    public func updateMany(_ filter: Document, update: Document, options: Document = [:]) throws(MongoError) -> Int {
        let filterHandle = try BSONHandle(filter), updateHandle = try BSONHandle(update), optionsHandle = try BSONHandle(options)
        var error = bson_error_t()
        let (ok, reply) = withReply { mongoc_collection_update_many(handle, filterHandle.pointer, updateHandle.pointer, optionsHandle.pointer, $0, &error) }
        if !ok { throw MongoError(error, reply: reply) }
        return reply?["modifiedCount"].flatMap(Self.int) ?? 0
    }

    /// findAndModify: applies `update` (operators, or a whole replacement document) to the first
    /// match and returns the document after the change (or before, with `returnNew: false`), or nil.
    /// With a filter that pins the current state, this is a compare-and-swap.
    public func findOneAndUpdate(
        _ filter: Document, update: Document, returnNew: Bool = true, projection: Document? = nil,
        upsert: Bool = false, options extra: Document = [:]
    ) throws(MongoError) -> Document? {
        let filterHandle = try BSONHandle(filter), updateHandle = try BSONHandle(update), extraHandle = try BSONHandle(extra)
        let projectionHandle = try projection.map { (p) throws(MongoError) -> BSONHandle in try BSONHandle(p) }
        guard let options = mongoc_find_and_modify_opts_new() else { throw .driver("mongoc_find_and_modify_opts_new returned NULL") }
        defer { mongoc_find_and_modify_opts_destroy(options) }
        mongoc_find_and_modify_opts_set_update(options, updateHandle.pointer)
        var flags = MONGOC_FIND_AND_MODIFY_NONE.rawValue
        if returnNew { flags |= MONGOC_FIND_AND_MODIFY_RETURN_NEW.rawValue }
        if upsert { flags |= MONGOC_FIND_AND_MODIFY_UPSERT.rawValue }
        mongoc_find_and_modify_opts_set_flags(options, mongoc_find_and_modify_flags_t(flags))
        if let projectionHandle { mongoc_find_and_modify_opts_set_fields(options, projectionHandle.pointer) }
        if !extra.isEmpty, !mongoc_find_and_modify_opts_append(options, extraHandle.pointer) { throw .invalidDocument("findAndModify options refused") }
        var error = bson_error_t()
        let (ok, reply) = withReply { mongoc_collection_find_and_modify_with_opts(handle, filterHandle.pointer, options, $0, &error) }
        if !ok { throw MongoError(error, reply: reply) }
        if case .document(let value)? = reply?["value"] { return value }
        return nil
    }

    /// Returns how many were deleted (0 or 1).
    @discardableResult
    public func deleteOne(_ filter: Document, options: Document = [:]) throws(MongoError) -> Int {
        let filterHandle = try BSONHandle(filter), optionsHandle = try BSONHandle(options)
        var error = bson_error_t()
        let (ok, reply) = withReply { mongoc_collection_delete_one(handle, filterHandle.pointer, optionsHandle.pointer, $0, &error) }
        if !ok { throw MongoError(error, reply: reply) }
        return reply?["deletedCount"].flatMap(Self.int) ?? 0
    }

    /// Returns how many were deleted.
    @discardableResult
    public func deleteMany(_ filter: Document, options: Document = [:]) throws(MongoError) -> Int {
        let filterHandle = try BSONHandle(filter), optionsHandle = try BSONHandle(options)
        var error = bson_error_t()
        let (ok, reply) = withReply { mongoc_collection_delete_many(handle, filterHandle.pointer, optionsHandle.pointer, $0, &error) }
        if !ok { throw MongoError(error, reply: reply) }
        return reply?["deletedCount"].flatMap(Self.int) ?? 0
    }

    public struct Index: Sendable {
        public var keys: Document
        public var name: String
        public var unique: Bool
        public init(keys: Document, name: String, unique: Bool = false) {
            self.keys = keys
            self.name = name
            self.unique = unique
        }
    }

    /// The createIndexes command; creating an index that exists with the same spec is a no-op.
    /// `collation`, when given, is every index's (the collection's default collation otherwise).
    public func createIndexes(_ indexes: [Index], collation: BSON? = nil) throws(MongoError) {
        let specs: [BSON] = indexes.map { index in
            var spec: Document = ["key": .document(index.keys), "name": .string(index.name)]
            if index.unique { spec["unique"] = .bool(true) }
            if let collation { spec["collation"] = collation }
            return .document(spec)
        }
        let command = try BSONHandle(["createIndexes": .string(name), "indexes": .array(specs)])
        var error = bson_error_t()
        let (ok, reply) = withReply { mongoc_collection_write_command_with_opts(handle, command.pointer, nil, $0, &error) }
        if !ok { throw MongoError(error, reply: reply) }
    }

    /// Drops the collection; a collection that does not exist is already dropped.
    public func drop() throws(MongoError) {
        var error = bson_error_t()
        if !mongoc_collection_drop_with_opts(handle, nil, &error) {
            let mapped = MongoError(error)
            if case .server(26, _) = mapped { return }  // NamespaceNotFound
            throw mapped
        }
    }

    static func int(_ value: BSON) -> Int? {
        switch value {
        case .int32(let i): return Int(i)
        case .int64(let i): return Int(i)
        case .double(let d): return Int(exactly: d)
        default: return nil
        }
    }
}
