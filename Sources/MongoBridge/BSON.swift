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
