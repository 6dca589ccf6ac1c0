/// Encodes and decodes BSON bytes in Swift. libbson then only wraps finished bytes, which keeps
/// the C surface small and lets this codec be tested (and fuzzed) on its own.
public enum BSONCodec {
    public struct DecodeError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public static let maxDepth = 100

    // MARK: encoding

    public static func encode(_ document: Document) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(document, into: &out)
        return out
    }

    static func write(_ document: Document, into out: inout [UInt8]) {
        writeFields(document.fields, into: &out)
    }

    private static func writeFields(_ fields: [(key: String, value: BSON)], into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        for (key, value) in fields {
            out.append(value.typeByte)
            writeCString(key, into: &out)
            writeValue(value, into: &out)
        }
        out.append(0)
        patchLength(at: start, in: &out)
    }

    private static func writeValue(_ value: BSON, into out: inout [UInt8]) {
        switch value {
        case .double(let d): appendLE(d.bitPattern, &out)
        case .string(let s), .javascript(let s), .symbol(let s): writeString(s, into: &out)
        case .document(let d): write(d, into: &out)
        case .array(let items): writeFields(items.enumerated().map { (key: String($0.offset), value: $0.element) }, into: &out)
        case .binary(let subtype, let bytes):
            appendLE(UInt32(bytes.count), &out)
            out.append(subtype)
            out.append(contentsOf: bytes)
        case .objectID(let id): out.append(contentsOf: id.bytes)
        case .bool(let b): out.append(b ? 1 : 0)
        case .datetime(let ms): appendLE(UInt64(bitPattern: ms), &out)
        case .null, .minKey, .maxKey, .undefined: break
        case .regex(let pattern, let options):
            writeCString(pattern, into: &out)
            writeCString(options, into: &out)
        case .int32(let i): appendLE(UInt32(bitPattern: i), &out)
        case .timestamp(let increment, let seconds):
            appendLE(increment, &out)
            appendLE(seconds, &out)
        case .int64(let i): appendLE(UInt64(bitPattern: i), &out)
        case .decimal128(let low, let high):
            appendLE(low, &out)
            appendLE(high, &out)
        }
    }

    /// Keys are C strings; a NUL inside one would cut it, so NULs are dropped (the API rejects them earlier).
    private static func writeCString(_ s: String, into out: inout [UInt8]) {
        for b in s.utf8 where b != 0 { out.append(b) }
        out.append(0)
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        appendLE(UInt32(s.utf8.count + 1), &out)
        out.append(contentsOf: s.utf8)
        out.append(0)
    }

    private static func patchLength(at start: Int, in out: inout [UInt8]) {
        let length = UInt32(out.count - start)
        out[start] = UInt8(length & 0xFF)
        out[start + 1] = UInt8(length >> 8 & 0xFF)
        out[start + 2] = UInt8(length >> 16 & 0xFF)
        out[start + 3] = UInt8(length >> 24)
    }

    private static func appendLE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    // MARK: decoding

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Document {
        var reader = Reader(bytes: bytes)
        let document = Document(try reader.fields(depth: 0))
        guard reader.position == bytes.count else { throw DecodeError(message: "trailing bytes after the document") }
        return document
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Document {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(DecodeError) -> Document in try decode(raw) } }
        return try result.get()
    }

    /// A bounds-checked reader: any length that does not fit is an error, never a crash.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        mutating func fields(depth: Int) throws(DecodeError) -> [(key: String, value: BSON)] {
            guard depth <= BSONCodec.maxDepth else { throw DecodeError(message: "nesting deeper than \(BSONCodec.maxDepth)") }
            let start = position
            let length = Int(try int32())
            guard length >= 5, start + length <= bytes.count else { throw DecodeError(message: "document length \(length) out of bounds") }
            let end = start + length
            var fields: [(key: String, value: BSON)] = []
            while true {
                guard position < end else { throw DecodeError(message: "document not terminated") }
                let type = bytes[position]
                position += 1
                if type == 0 { break }
                let key = try cString(limit: end)
                fields.append((key: key, value: try value(type, depth: depth, end: end)))
            }
            guard position == end else { throw DecodeError(message: "document length does not match its contents") }
            return fields
        }

        mutating func value(_ type: UInt8, depth: Int, end: Int) throws(DecodeError) -> BSON {
            switch type {
            case 0x01: return .double(Double(bitPattern: try uint64()))
            case 0x02: return .string(try string(limit: end))
            case 0x03: return .document(Document(try fields(depth: depth + 1)))
            case 0x04: return .array(try fields(depth: depth + 1).map(\.value))
            case 0x05:
                let length = Int(try int32())
                let subtype = try take(1).first!
                guard length >= 0 else { throw DecodeError(message: "negative binary length") }
                return .binary(subtype: subtype, bytes: Array(try take(length)))
            case 0x06: return .undefined
            case 0x07: return .objectID(ObjectID(bytes: Array(try take(12)))!)
            case 0x08:
                let b = try take(1).first!
                guard b <= 1 else { throw DecodeError(message: "invalid boolean") }
                return .bool(b == 1)
            case 0x09: return .datetime(Int64(bitPattern: try uint64()))
            case 0x0A: return .null
            case 0x0B: return .regex(pattern: try cString(limit: end), options: try cString(limit: end))
            case 0x0D: return .javascript(try string(limit: end))
            case 0x0E: return .symbol(try string(limit: end))
            case 0x10: return .int32(try int32())
            case 0x11:
                let increment = UInt32(bitPattern: try int32())
                return .timestamp(increment: increment, seconds: UInt32(bitPattern: try int32()))
            case 0x12: return .int64(Int64(bitPattern: try uint64()))
            case 0x13:
                let low = try uint64()
                return .decimal128(low: low, high: try uint64())
            case 0xFF: return .minKey
            case 0x7F: return .maxKey
            default: throw DecodeError(message: "unsupported BSON type 0x\(String(type, radix: 16))")
            }
        }

        mutating func take(_ count: Int) throws(DecodeError) -> UnsafeRawBufferPointer.SubSequence {
            guard count >= 0, bytes.count - position >= count else { throw DecodeError(message: "truncated BSON") }
            defer { position += count }
            return bytes[position..<position + count]
        }

        mutating func int32() throws(DecodeError) -> Int32 {
            let b = try take(4)
            var v: UInt32 = 0
            for (i, byte) in b.enumerated() { v |= UInt32(byte) << (8 * i) }
            return Int32(bitPattern: v)
        }

        mutating func uint64() throws(DecodeError) -> UInt64 {
            let b = try take(8)
            var v: UInt64 = 0
            for (i, byte) in b.enumerated() { v |= UInt64(byte) << (8 * i) }
            return v
        }

        mutating func cString(limit: Int) throws(DecodeError) -> String {
            var i = position
            while i < limit, bytes[i] != 0 { i += 1 }
            guard i < limit else { throw DecodeError(message: "unterminated C string") }
            guard let s = String(validating: bytes[position..<i], as: UTF8.self) else { throw DecodeError(message: "invalid UTF-8 in key") }
            position = i + 1
            return s
        }

        mutating func string(limit: Int) throws(DecodeError) -> String {
            let length = Int(try int32())
            guard length >= 1, length <= limit - position else { throw DecodeError(message: "string length out of bounds") }
            let raw = try take(length)
            guard raw.last == 0 else { throw DecodeError(message: "string not NUL-terminated") }
            guard let s = String(validating: raw.dropLast(), as: UTF8.self) else { throw DecodeError(message: "invalid UTF-8 in string") }
            return s
        }
    }
}
