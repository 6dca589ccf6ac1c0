import CMongoC
import JSON

/// Conversion between the plain JSON the API speaks and BSON, without type loss for what JSON can
/// say (an integer stays an integer: int32 when it fits, else int64) and without extended JSON
/// (`$oid`, `$numberLong`) ever reaching a client: BSON-only types become plain strings.
extension Document {
    public init(json object: JSONObject) {
        self.init(object.fields.map { (key: $0.key, value: BSON(json: $0.value)) })
    }

    public var json: JSONObject {
        JSONObject(fields.map { JSONField($0.key, $0.value.json) })
    }
}

extension BSON {
    public init(json value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = Int32(exactly: i).map(BSON.int32) ?? .int64(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(BSON.init(json:)))
        case .object(let o): self = .document(Document(json: o))
        }
    }

    public var json: JSONValue {
        switch self {
        case .double(let d): return d.isFinite ? .double(d) : .null
        case .string(let s), .javascript(let s), .symbol(let s): return .string(s)
        case .document(let d): return .object(d.json)
        case .array(let items): return .array(items.map(\.json))
        case .binary(_, let bytes): return .string(Base64.encode(bytes))
        case .objectID(let id): return .string(id.description)
        case .bool(let b): return .bool(b)
        case .datetime(let ms): return .string(RFC3339.format(ms))
        case .null, .undefined, .minKey, .maxKey: return .null
        case .regex(let pattern, let options): return .string("/\(pattern)/\(options)")
        case .int32(let i): return .int(Int64(i))
        case .int64(let i): return .int(i)
        case .timestamp(_, let seconds): return .int(Int64(seconds))
        case .decimal128(let low, let high): return .string(Self.decimalString(low: low, high: high))
        }
    }

    /// libbson's own Decimal128 formatting (IEEE 754-2008 BID), so "1.10" stays "1.10".
    static func decimalString(low: UInt64, high: UInt64) -> String {
        var value = bson_decimal128_t(low: low, high: high)
        var buffer = [CChar](repeating: 0, count: Int(BSON_DECIMAL128_STRING))
        bson_decimal128_to_string(&value, &buffer)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i]), b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
