/// The snapshot file: the whole store as of the start of journal generation `generation`, so a
/// restart loads it and replays only that journal (and any later one), instead of every write ever made.
///
///     "BOOKSNP1" | generation: u64 | books | resources | CRC-32C of everything before it: u32
///     books     = count: u32, then per book in insertion order:
///                 entry length, JSON length, id, title, author (offset and length each): 8 × u32,
///                 year: i32, score: i32, read: u8, entry bytes;
///                 then one sort index per BookSortField, as count positions: u32 each
///     resources = count: u32, then per resource a journal payload (a put): length u32, bytes
///
/// Little-endian throughout. Keeping the sorted indexes makes a load a few linear passes, with no
/// JSON parsing and no sorting. The checksum covers the whole file: a snapshot is only ever
/// renamed into place complete and synced, so any mismatch is damage, never a crash mid-write.
enum SnapshotFormat {
    static let magic: [UInt8] = Array("BOOKSNP1".utf8)

    static func encode(_ state: StoreState, generation: UInt64) -> [UInt8] {
        var out = magic
        out.reserveCapacity(state.books.json.liveBytes + state.books.count * 48 + 64)
        put64(generation, &out)
        let books = state.books
        var positions = [Int32](repeating: -1, count: books.rows.count)
        var n: Int32 = 0
        books.forEachInInsertionOrder { r in
            positions[Int(r)] = n
            n += 1
        }
        put32(UInt32(n), &out)
        books.json.bytes.withUnsafeBufferPointer { arena in
            books.forEachInInsertionOrder { r in
                let row = books.rows[Int(r)]
                for v in [row.entryCount, row.jsonCount, row.id.start, row.id.count, row.title.start, row.title.count, row.author.start, row.author.count] {
                    put32(v, &out)
                }
                put32(UInt32(bitPattern: row.year), &out)
                put32(UInt32(bitPattern: row.score), &out)
                out.append(row.read)
                out.append(contentsOf: arena[row.start..<(row.start + Int(row.entryCount))])
            }
        }
        for order in books.orders {
            order.forEach(reversed: false) { put32(UInt32(positions[Int($0)]), &out) }
        }
        let resources = state.resourcePayloads()
        put32(UInt32(resources.count), &out)
        for payload in resources {
            put32(UInt32(payload.count), &out)
            out.append(contentsOf: payload)
        }
        put32(CRC32C.checksum(out), &out)
        return out
    }

    static func decode(_ file: [UInt8]) throws(StoreError) -> (generation: UInt64, state: StoreState) {
        guard file.count >= magic.count + 8 + 4, file[0..<magic.count].elementsEqual(magic) else { throw .corrupt("not a BooksAPI snapshot (bad header)") }
        var reader = Reader(bytes: file, end: file.count - 4)
        guard CRC32C.checksum(file[0..<(file.count - 4)]) == UInt32(littleEndianBytes: file[(file.count - 4)...]) else {
            throw .corrupt("the snapshot's checksum does not match: it is damaged")
        }
        reader.position = magic.count
        let generation = try reader.u64()
        let n = Int(try reader.u32())
        var entries: [(BookRow, ArraySlice<UInt8>)] = []
        entries.reserveCapacity(n)
        for _ in 0..<n {
            let f = try (0..<8).map { _ throws(StoreError) in try reader.u32() }
            let year = Int32(bitPattern: try reader.u32()), score = Int32(bitPattern: try reader.u32())
            let read = try reader.u8()
            let bytes = try reader.bytes(Int(f[0]))
            guard f[1] <= f[0], f[2] + f[3] <= f[0], f[4] + f[5] <= f[0], f[6] + f[7] <= f[0], read <= 2 else { throw .corrupt("a snapshot row is inconsistent") }
            let row = BookRow(
                start: 0, entryCount: f[0], jsonCount: f[1], id: BlobSpan(start: f[2], count: f[3]), title: BlobSpan(start: f[4], count: f[5]),
                author: BlobSpan(start: f[6], count: f[7]), sequence: 0, year: year, score: score, read: read)
            entries.append((row, bytes))
        }
        var orders: [[Int32]] = []
        for _ in BookSortField.allCases {
            var order: [Int32] = []
            order.reserveCapacity(n)
            for _ in 0..<n {
                let p = try reader.u32()
                guard p < n else { throw .corrupt("a snapshot sort index points past its rows") }
                order.append(Int32(p))
            }
            orders.append(order)
        }
        var records: [JournalFormat.Record] = []
        for _ in 0..<Int(try reader.u32()) {
            let payload = try reader.bytes(Int(try reader.u32()))
            guard let record = JournalFormat.decodePayload(payload), record.operation == .put else { throw .corrupt("a snapshot resource record is malformed") }
            records.append(record)
        }
        guard reader.position == reader.end else { throw .corrupt("the snapshot has bytes after its last section") }
        var state = StoreState()
        state.books = BookTable(bulk: entries, orders: orders)
        try state.replay(records)
        return (generation, state)
    }

    static func put32(_ v: UInt32, _ out: inout [UInt8]) { JournalFormat.appendLE(v, &out) }

    static func put64(_ v: UInt64, _ out: inout [UInt8]) {
        put32(UInt32(truncatingIfNeeded: v), &out)
        put32(UInt32(truncatingIfNeeded: v >> 32), &out)
    }

    /// Reads fields in order, refusing to pass `end`.
    struct Reader {
        let bytes: [UInt8]
        let end: Int
        var position = 0

        mutating func bytes(_ count: Int) throws(StoreError) -> ArraySlice<UInt8> {
            guard count >= 0, end - position >= count else { throw .corrupt("the snapshot ends inside a record") }
            defer { position += count }
            return bytes[position..<(position + count)]
        }

        mutating func u8() throws(StoreError) -> UInt8 { try bytes(1).first! }
        mutating func u32() throws(StoreError) -> UInt32 { UInt32(littleEndianBytes: try bytes(4)) }
        mutating func u64() throws(StoreError) -> UInt64 {
            let low = UInt64(try u32())
            return low | UInt64(try u32()) << 32
        }
    }
}

extension UInt32 {
    init(littleEndianBytes b: ArraySlice<UInt8>) {
        let i = b.startIndex
        self = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
