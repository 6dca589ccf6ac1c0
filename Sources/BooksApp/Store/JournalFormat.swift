/// The journal file: an 8-byte magic, then records of
/// `[payload length: u32 LE][CRC-32C of payload: u32 LE][payload]`.
/// A payload is `[op: u8][collection length: u8][collection][data]`: op 1 puts a whole JSON
/// document (replay is idempotent), op 2 deletes by id, op 3 puts one allocation on a resource,
/// replacing one with its id (`{"resource": id, "allocation": {...}}`) and op 4 removes one (`{"resource": id, "allocation": id}`),
/// so a booking journals its own few bytes, not the resource with all its allocations.
///
/// Version 2 (`BOOKJNL2`) groups records into commits: each group commit's single write ends with a
/// commit record (op 5, data: the u64 offset where that write began), and op 6 opens a journal
/// that follows a snapshot (data: its u64 generation). Replay applies only committed groups. Since
/// the commit thread fdatasyncs one write before it begins the next, only the final write can be
/// torn by a power cut: damage inside the final group is a torn tail, damage followed by a later
/// commit is media corruption (see `scan`). Version 1 files (no commits) are read as before.
enum JournalFormat {
    static let magic: [UInt8] = Array("BOOKJNL2".utf8)
    static let legacyMagic: [UInt8] = Array("BOOKJNL1".utf8)
    static let headerSize = 8
    static let maxPayload = 64 << 20

    enum Operation: UInt8 {
        case put = 1
        case delete = 2
        case putAllocation = 3
        case removeAllocation = 4
        case commit = 5
        case generation = 6
    }

    /// The commit record that closes a group written from `offset`.
    static func commitPayload(startingAt offset: Int) -> [UInt8] {
        var data: [UInt8] = []
        SnapshotFormat.put64(UInt64(offset), &data)
        return payload(.commit, collection: "", data: data)
    }

    static func generationPayload(_ generation: UInt64) -> [UInt8] {
        var data: [UInt8] = []
        SnapshotFormat.put64(generation, &data)
        return payload(.generation, collection: "", data: data)
    }

    static func u64(_ data: [UInt8]) -> UInt64? {
        guard data.count == 8 else { return nil }
        return UInt64(UInt32(littleEndianBytes: data[0..<4])) | UInt64(UInt32(littleEndianBytes: data[4..<8])) << 32
    }

    struct Record: Equatable {
        var operation: Operation
        var collection: String
        var data: [UInt8]
    }

    static func payload(_ operation: Operation, collection: String, data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [operation.rawValue, UInt8(collection.utf8.count)]
        out.append(contentsOf: collection.utf8)
        out.append(contentsOf: data)
        return out
    }

    static func frame(_ payload: [UInt8], into out: inout [UInt8]) {
        appendLE(UInt32(payload.count), &out)
        appendLE(CRC32C.checksum(payload), &out)
        out.append(contentsOf: payload)
    }

    /// The outcome of reading a journal from the start.
    struct Scan {
        /// The data records to replay (commit and generation records are not among them).
        var records: [Record] = []
        /// Bytes up to the end of the last good record (version 2: of the last commit).
        var validLength: Int
        /// Damage (or an unfinished group) at the end that no acknowledged write can be in:
        /// dropped on open, the dropped bytes kept in a side file.
        var tornTail = false
        /// Damage followed by a later commit: real corruption. Opening stops unless repaired.
        var corruptionOffset: Int?
        /// The generation a version 2 journal declares, if it follows a snapshot.
        var generation: UInt64?
        var isLegacy = false
    }

    /// Reads every record. Version 2: the records of a group count only once its commit record is
    /// read; at the first damaged byte, the damage is a torn tail when it lies inside the final
    /// group, that is, when no commit record for a later group can be found anywhere after it
    /// (a commit whose start offset is at or before the damage closes the damaged group itself,
    /// and is allowed only as the very last record). Version 1: a damaged record is a torn tail
    /// when no valid record follows it.
    static func scan(_ file: [UInt8]) -> Scan {
        guard file.count >= headerSize else {
            // Shorter than the magic: a crash while creating the file.
            return Scan(validLength: 0, tornTail: !file.isEmpty)
        }
        let header = Array(file[0..<headerSize])
        guard header == magic || header == legacyMagic else { return Scan(validLength: 0, corruptionOffset: 0) }
        let legacy = header == legacyMagic
        var scan = Scan(validLength: headerSize)
        scan.isLegacy = legacy
        var group: [Record] = []
        var offset = headerSize
        while offset < file.count {
            guard let (record, next) = decodeRecord(file, at: offset) else {
                let torn = legacy ? isTornTail(file, at: offset) : damageIsInFinalGroup(file, at: offset)
                if torn { scan.tornTail = true } else { scan.corruptionOffset = offset }
                if legacy { scan.records += group }
                return scan
            }
            let recordStart = offset
            offset = next
            switch record.operation {
            case .commit:
                scan.records += group
                group.removeAll()
                scan.validLength = offset
            case .generation:  // written with the header, before any group
                if recordStart == headerSize { scan.generation = u64(record.data) }
                if group.isEmpty { scan.validLength = offset }
            default:
                group.append(record)
                if legacy { scan.validLength = offset }
            }
        }
        if legacy {
            scan.records += group
        } else if !group.isEmpty {
            scan.tornTail = true  // a final group without its commit: its write never finished
        }
        return scan
    }

    /// Version 2: whether damage at `offset` lies inside the journal's final group.
    private static func damageIsInFinalGroup(_ file: [UInt8], at offset: Int) -> Bool {
        var candidate = offset + 1
        while let (_, record, next) = nextValidRecord(file, from: candidate) {
            if record.operation == .commit {
                guard let begin = u64(record.data), begin <= UInt64(offset) else { return false }  // a later group was committed
                return nextValidRecord(file, from: next) == nil  // closes the damaged group: fine only as the last record
            }
            candidate = next
        }
        return true
    }

    /// The first record that decodes at or after `from`, resynchronising byte by byte.
    private static func nextValidRecord(_ file: [UInt8], from: Int) -> (Int, Record, Int)? {
        var candidate = from
        while candidate + 8 + 2 <= file.count {
            let length = Int(readLE(file, candidate))
            if length >= 2, length <= file.count - candidate - 8, Operation(rawValue: file[candidate + 8]) != nil, Int(file[candidate + 9]) <= 64,
                let (record, next) = decodeRecord(file, at: candidate)
            {
                return (candidate, record, next)
            }
            candidate += 1
        }
        return nil
    }

    private static func decodeRecord(_ file: [UInt8], at offset: Int) -> (Record, Int)? {
        guard file.count - offset >= 8 else { return nil }
        let length = Int(readLE(file, offset))
        let crc = readLE(file, offset + 4)
        guard length >= 2, length <= maxPayload, file.count - offset - 8 >= length else { return nil }
        let payload = file[(offset + 8)..<(offset + 8 + length)]
        guard CRC32C.checksum(payload) == crc, let record = decodePayload(payload) else { return nil }
        return (record, offset + 8 + length)
    }

    static func decodePayload(_ payload: ArraySlice<UInt8>) -> Record? {
        let start = payload.startIndex
        guard payload.count >= 2, let operation = Operation(rawValue: payload[start]) else { return nil }
        let nameLength = Int(payload[start + 1])
        guard payload.count >= 2 + nameLength else { return nil }
        let name = String(decoding: payload[(start + 2)..<(start + 2 + nameLength)], as: UTF8.self)
        return Record(operation: operation, collection: name, data: Array(payload[(start + 2 + nameLength)...]))
    }

    /// Version 1: a bad record is a torn tail when no valid record follows it anywhere (a crash
    /// cuts only the last write short); a valid record after it means damage in the middle.
    private static func isTornTail(_ file: [UInt8], at offset: Int) -> Bool {
        nextValidRecord(file, from: offset + 1) == nil
    }

    static func appendLE(_ v: UInt32, _ out: inout [UInt8]) {
        out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8 & 0xFF))
        out.append(UInt8(v >> 16 & 0xFF)); out.append(UInt8(v >> 24))
    }

    static func readLE(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
