/// The journal file: an 8-byte magic, then records of
/// `[payload length: u32 LE][CRC-32C of payload: u32 LE][payload]`.
/// A payload is `[op: u8][collection length: u8][collection][data]`: op 1 puts a whole JSON
/// document (replay is idempotent), op 2 deletes by id, op 3 adds one allocation to a resource
/// (`{"resource": id, "allocation": {...}}`) and op 4 removes one (`{"resource": id, "allocation": id}`),
/// so a booking journals its own few bytes, not the resource with all its allocations.
enum JournalFormat {
    static let magic: [UInt8] = Array("BOOKJNL1".utf8)
    static let headerSize = 8
    static let maxPayload = 64 << 20

    enum Operation: UInt8 {
        case put = 1
        case delete = 2
        case addAllocation = 3
        case removeAllocation = 4
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
        var records: [Record] = []
        /// Bytes up to the end of the last good record.
        var validLength: Int
        /// A damaged record at the very end: a write that a crash cut short. Dropped on open.
        var tornTail = false
        /// A damaged record with data after it: real corruption. Opening stops unless repaired.
        var corruptionOffset: Int?
    }

    static func scan(_ file: [UInt8]) -> Scan {
        guard file.count >= headerSize else {
            // Shorter than the magic: a crash while creating the file.
            return Scan(validLength: 0, tornTail: !file.isEmpty)
        }
        guard Array(file[0..<headerSize]) == magic else { return Scan(validLength: 0, corruptionOffset: 0) }
        var scan = Scan(validLength: headerSize)
        var offset = headerSize
        while offset < file.count {
            guard let (record, next) = decodeRecord(file, at: offset) else {
                if isTornTail(file, at: offset) { scan.tornTail = true } else { scan.corruptionOffset = offset }
                return scan
            }
            scan.records.append(record)
            offset = next
            scan.validLength = offset
        }
        return scan
    }

    private static func decodeRecord(_ file: [UInt8], at offset: Int) -> (Record, Int)? {
        guard file.count - offset >= 8 else { return nil }
        let length = Int(readLE(file, offset))
        let crc = readLE(file, offset + 4)
        guard length >= 2, length <= maxPayload, file.count - offset - 8 >= length else { return nil }
        let payload = file[(offset + 8)..<(offset + 8 + length)]
        guard CRC32C.checksum(payload) == crc else { return nil }
        let start = payload.startIndex
        guard let operation = Operation(rawValue: payload[start]) else { return nil }
        let nameLength = Int(payload[start + 1])
        guard length >= 2 + nameLength else { return nil }
        let name = String(decoding: payload[(start + 2)..<(start + 2 + nameLength)], as: UTF8.self)
        return (Record(operation: operation, collection: name, data: Array(payload[(start + 2 + nameLength)...])), offset + 8 + length)
    }

    /// A bad record is a torn tail when no valid record follows it anywhere: a crash cuts only the
    /// last write short. If a valid record can be found after it (a damaged length field makes us
    /// resynchronise byte by byte), the damage is in the middle, and that is corruption.
    private static func isTornTail(_ file: [UInt8], at offset: Int) -> Bool {
        var candidate = offset + 1
        while candidate + 8 + 2 <= file.count {
            // Cheap filters first: a plausible length, a known operation and a short collection name.
            let length = Int(readLE(file, candidate))
            if length >= 2, length <= file.count - candidate - 8,
                Operation(rawValue: file[candidate + 8]) != nil, Int(file[candidate + 9]) <= 64,
                decodeRecord(file, at: candidate) != nil
            {
                return false
            }
            candidate += 1
        }
        return true
    }

    static func appendLE(_ v: UInt32, _ out: inout [UInt8]) {
        out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8 & 0xFF))
        out.append(UInt8(v >> 16 & 0xFF)); out.append(UInt8(v >> 24))
    }

    static func readLE(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
