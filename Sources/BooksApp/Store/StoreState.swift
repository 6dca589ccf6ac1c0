import JSON

/// Everything the embedded store holds in memory: the books and one table per resource kind.
/// Rebuilt from the journal on open and after a failed write.
struct StoreState {
    var books = BookTable()
    var inventory: [ResourceKind: ResourceTable] = Dictionary(uniqueKeysWithValues: ResourceKind.all.map { ($0, ResourceTable()) })

    mutating func replay(_ records: [JournalFormat.Record]) throws(StoreError) {
        for record in records {
            if record.collection == EmbeddedStore.collection {
                switch record.operation {
                case .put: books.put(try Self.object(record.data))
                case .delete: books.remove(id: String(decoding: record.data, as: UTF8.self))
                case .addAllocation, .removeAllocation: throw .corrupt("journal record \(record.operation) for books")
                }
            } else if let kind = ResourceKind.named(Substring(record.collection)) {
                switch record.operation {
                case .put:
                    guard let resource = Resource(stored: try Self.object(record.data), kind: kind) else {
                        throw .corrupt("journal record for \(record.collection) is not a resource")
                    }
                    inventory[kind]!.put(resource, storedBytes: record.data.count)
                case .delete:
                    inventory[kind]!.remove(id: String(decoding: record.data, as: UTF8.self))
                case .addAllocation:
                    let o = try Self.object(record.data)
                    guard case .string(let id)? = o["resource"], let stored = o["allocation"]?.objectValue,
                        let allocation = Allocation(stored: stored)
                    else { throw .corrupt("journal allocation record for \(record.collection) is malformed") }
                    inventory[kind]!.addAllocation(allocation, to: id, storedBytes: record.data.count)
                case .removeAllocation:
                    let o = try Self.object(record.data)
                    guard case .string(let id)? = o["resource"], case .string(let allocationID)? = o["allocation"] else {
                        throw .corrupt("journal allocation record for \(record.collection) is malformed")
                    }
                    inventory[kind]!.removeAllocation(allocationID, from: id)
                }
            }
            // Records of collections this version does not know are skipped, so a downgrade still opens.
        }
    }

    var liveBytes: Int { books.liveBytes + inventory.values.reduce(0) { $0 + $1.liveBytes } }

    /// The live data as journal payloads, for compaction.
    func snapshot() -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        books.forEachInInsertionOrder { payloads.append(JournalFormat.payload(.put, collection: EmbeddedStore.collection, data: books.jsonBytes($0))) }
        for kind in ResourceKind.all {
            for resource in inventory[kind]!.all {
                payloads.append(JournalFormat.payload(.put, collection: kind.collection, data: JSONWriter.encode(.object(resource.stored))))
            }
        }
        return payloads
    }

    private static func object(_ data: [UInt8]) throws(StoreError) -> JSONObject {
        guard case .object(let doc)? = try? JSONParser.parse(data) else {
            throw .corrupt("journal record holds invalid JSON despite a good checksum")
        }
        return doc
    }
}
