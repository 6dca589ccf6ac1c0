/// A BSON value (https://bsonspec.org). Every type MongoDB stores can be read; the API writes
/// strings, integers, doubles, booleans, null, arrays and documents.
public enum BSON: Equatable, Sendable {
    case double(Double)
    case string(String)
    case document(Document)
    case array([BSON])
    case binary(subtype: UInt8, bytes: [UInt8])
    case objectID(ObjectID)
    case bool(Bool)
    /// Milliseconds since the Unix epoch.
    case datetime(Int64)
    case null
    case regex(pattern: String, options: String)
    case int32(Int32)
    case timestamp(increment: UInt32, seconds: UInt32)
    case int64(Int64)
    case decimal128(low: UInt64, high: UInt64)
    case minKey
    case maxKey
    case undefined
    case javascript(String)
    case symbol(String)

    var typeByte: UInt8 {
        switch self {
        case .double: return 0x01
        case .string: return 0x02
        case .document: return 0x03
        case .array: return 0x04
        case .binary: return 0x05
        case .undefined: return 0x06
        case .objectID: return 0x07
        case .bool: return 0x08
        case .datetime: return 0x09
        case .null: return 0x0A
        case .regex: return 0x0B
        case .javascript: return 0x0D
        case .symbol: return 0x0E
        case .int32: return 0x10
        case .timestamp: return 0x11
        case .int64: return 0x12
        case .decimal128: return 0x13
        case .minKey: return 0xFF
        case .maxKey: return 0x7F
        }
    }
}

/// A 12-byte ObjectId.
public struct ObjectID: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        self.bytes = bytes
    }

    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 24 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: 24, by: 2) {
            guard let byte = UInt8(String(decoding: utf8[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        bytes = out
    }

    /// 24 lowercase hex digits, as the shell shows it.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An ordered BSON document. Field order is kept: MongoDB preserves it, and so do we.
public struct Document: Equatable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(key: String, value: BSON)]

    public init(_ fields: [(key: String, value: BSON)] = []) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, BSON)...) {
        fields = elements.map { (key: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public var keys: [String] { fields.map(\.key) }
    public func makeIterator() -> IndexingIterator<[(key: String, value: BSON)]> { fields.makeIterator() }

    public subscript(key: String) -> BSON? {
        get { fields.first { $0.key == key }?.value }
        set {
            if let i = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[i].value = newValue } else { fields.remove(at: i) }
            } else if let newValue {
                fields.append((key: key, value: newValue))
            }
        }
    }

    public mutating func append(_ key: String, _ value: BSON) { fields.append((key: key, value: value)) }

    public static func == (a: Document, b: Document) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
