import JSON

/// One change to the embedded store, as a writer decides it: journaled as one record, held as
/// pending until its fsync returns, then applied to what readers see. Replay turns journal records
/// back into changes, so the journal and memory never disagree on what a change means.
enum StoreChange {
    case putBook(EncodedBook)
    case deleteBook(id: String)
    case putResource(Resource)
    case deleteResource(ResourceKind, id: String)
    /// `replacing`: a change of one already there (else a new one, put without looking for it).
    case putAllocation(ResourceKind, resource: String, Allocation, replacing: Bool)
    case removeAllocation(ResourceKind, resource: String, allocation: String)

    /// The journal record.
    var payload: [UInt8] {
        switch self {
        case .putBook(let book):
            return JournalFormat.payload(.put, collection: EmbeddedStore.collection, data: Array(book.json))
        case .deleteBook(let id):
            return JournalFormat.payload(.delete, collection: EmbeddedStore.collection, data: Array(id.utf8))
        case .putResource(let resource):
            return JournalFormat.payload(.put, collection: resource.kind.collection, data: JSONWriter.encode(.object(resource.stored)))
        case .deleteResource(let kind, let id):
            return JournalFormat.payload(.delete, collection: kind.collection, data: Array(id.utf8))
        case .putAllocation(let kind, let resource, let allocation, let replacing):
            var o = JSONObject([JSONField("resource", .string(resource)), JSONField("allocation", .object(allocation.stored))])
            if replacing { o["replaces"] = .bool(true) }
            return JournalFormat.payload(.putAllocation, collection: kind.collection, data: JSONWriter.encode(.object(o)))
        case .removeAllocation(let kind, let resource, let allocation):
            let o = JSONObject([JSONField("resource", .string(resource)), JSONField("allocation", .string(allocation))])
            return JournalFormat.payload(.removeAllocation, collection: kind.collection, data: JSONWriter.encode(.object(o)))
        }
    }

    /// The change a journal record holds; nil for a collection this version does not know (skipped,
    /// so a downgrade still opens).
    init?(_ record: JournalFormat.Record) throws(StoreError) {
        if record.collection == EmbeddedStore.collection {
            switch record.operation {
            case .put:
                guard let book = EncodedBook(try Self.object(record.data)) else { throw .corrupt("journal book record without an id, or with an out-of-range year or score") }
                self = .putBook(book)
            case .delete: self = .deleteBook(id: String(decoding: record.data, as: UTF8.self))
            default: throw .corrupt("journal record \(record.operation) for books")
            }
            return
        }
        guard let kind = ResourceKind.named(Substring(record.collection)) else { return nil }
        switch record.operation {
        case .put:
            guard let resource = Resource(stored: try Self.object(record.data), kind: kind) else {
                throw .corrupt("journal record for \(record.collection) is not a resource")
            }
            self = .putResource(resource)
        case .delete:
            self = .deleteResource(kind, id: String(decoding: record.data, as: UTF8.self))
        case .putAllocation:
            let o = try Self.object(record.data)
            guard case .string(let id)? = o["resource"], let stored = o["allocation"]?.objectValue, let allocation = Allocation(stored: stored) else {
                throw .corrupt("journal allocation record for \(record.collection) is malformed")
            }
            self = .putAllocation(kind, resource: id, allocation, replacing: o["replaces"] == .bool(true))
        case .removeAllocation:
            let o = try Self.object(record.data)
            guard case .string(let id)? = o["resource"], case .string(let allocationID)? = o["allocation"] else {
                throw .corrupt("journal allocation record for \(record.collection) is malformed")
            }
            self = .removeAllocation(kind, resource: id, allocation: allocationID)
        case .commit, .generation:
            return nil
        }
    }

    private static func object(_ data: [UInt8]) throws(StoreError) -> JSONObject {
        guard case .object(let doc)? = try? JSONParser.parse(data) else {
            throw .corrupt("journal record holds invalid JSON despite a good checksum")
        }
        return doc
    }
}
