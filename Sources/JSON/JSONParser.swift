import ASCIIText

/// A strict RFC 8259 parser over bytes.
///
/// It rejects what a lenient parser would guess at: trailing commas, leading zeros,
/// lone surrogates, invalid UTF-8, control characters in strings, duplicate keys,
/// numbers that overflow a Double (1e999), and nesting deeper than `maxDepth`.
public struct JSONParser {
    public static let defaultMaxDepth = 64
    /// Objects with this many keys or more check duplicates with a set instead of a scan.
    static let hashFrom = 9

    /// Parses exactly one value; anything but whitespace after it is an error.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) -> JSONValue in
            var parser = JSONParser(buffer, maxDepth: maxDepth)
            let (value, end) = try parser.parseOne()
            guard end == buffer.count else { throw JSONError(.syntax, "unexpected data after the JSON value", at: end) }
            return value
        }
    }

    /// Parses one value at the start of `bytes` and returns it with the offset just past it,
    /// so that a caller can find JSON embedded in other text (the seed script does).
    public static func parsePrefix(_ bytes: ArraySlice<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> (JSONValue, Int) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) -> (JSONValue, Int) in
            var parser = JSONParser(buffer, maxDepth: maxDepth)
            return try parser.parseValueThenOffset()
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var position = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private mutating func parseOne() throws(JSONError) -> (JSONValue, Int) {
        let value = try parseValueThenOffset().0
        skipWhitespace()
        return (value, position)
    }

    private mutating func parseValueThenOffset() throws(JSONError) -> (JSONValue, Int) {
        skipWhitespace()
        let value = try parseValue()
        return (value, position)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1  // RFC 8259 §2: the only insignificant whitespace
            default: return
            }
        }
    }

    private func fail(_ message: String, _ kind: JSONError.Kind = .syntax) -> JSONError {
        JSONError(kind, message, at: position)
    }

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        guard position < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object(try parseObject())
        case UInt8(ascii: "["): return .array(try parseArray())
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw fail("invalid literal") }
        for i in 0..<count where bytes[position + i] != literal.utf8Start[i] {
            throw fail("invalid literal")
        }
        position += count
    }

    private mutating func enter() throws(JSONError) {
        depth += 1
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels", .tooDeep) }
    }

    private mutating func parseObject() throws(JSONError) -> JSONObject {
        try enter()
        position += 1
        var object = JSONObject()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return object
        }
        // Small objects (documents have a handful of fields) are checked by a scan; past
        // `hashFrom` keys a set takes over, so a hostile body with 100,000 keys costs linear time.
        var keys: Set<String>?
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let keyStart = position
            let key = try parseString()
            let duplicate: Bool
            if keys != nil {
                duplicate = !keys!.insert(key).inserted
            } else {
                duplicate = object.contains(key)
                if object.count == Self.hashFrom - 1 { keys = Set(object.fields.lazy.map(\.key)); keys!.insert(key) }
            }
            if duplicate {
                throw JSONError(.duplicateKey, "duplicate key \"\(key)\"", at: keyStart)
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            skipWhitespace()
            object.appendUnchecked(key, try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; break }
            throw fail("expected ',' or '}'")
        }
        depth -= 1
        return object
    }

    private mutating func parseArray() throws(JSONError) -> [JSONValue] {
        try enter()
        position += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return array
        }
        while true {
            skipWhitespace()
            array.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; break }
            throw fail("expected ',' or ']'")
        }
        depth -= 1
        return array
    }

    private mutating func parseString() throws(JSONError) -> String {
        position += 1  // opening quote
        let start = position
        // Fast path: plain ASCII with no escapes needs no decoding at all.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return s
            }
            if byte == UInt8(ascii: "\\") || byte >= 0x80 || byte < 0x20 { break }
            position += 1
        }
        return try parseStringSlow(from: start)
    }

    private mutating func parseStringSlow(from start: Int) throws(JSONError) -> String {
        var out: [UInt8] = Array(bytes[start..<position])
        while true {
            guard position < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &out)
            case 0..<0x20:
                throw fail("control character in string")  // RFC 8259 §7: must be escaped
            case 0x80...:
                try copyUTF8Sequence(into: &out)
            default:
                out.append(byte)
                position += 1
            }
        }
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(JSONError) {
        position += 1
        guard position < bytes.count else { throw fail("unterminated escape") }
        let c = bytes[position]
        position += 1
        switch c {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                // RFC 8259 §7: a high surrogate must be followed by an escaped low surrogate.
                guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                    throw fail("lone surrogate in \\u escape", .invalidUTF8)
                }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid surrogate pair", .invalidUTF8) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail("lone surrogate in \\u escape", .invalidUTF8)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape", .invalidUTF8) }
            out.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw fail("invalid escape")
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = ASCIIHex.value(bytes[position]) else { throw fail("invalid hex digit in \\u escape") }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Copies one multi-byte UTF-8 sequence, rejecting overlongs, surrogates and out-of-range values.
    private mutating func copyUTF8Sequence(into out: inout [UInt8]) throws(JSONError) {
        let lead = bytes[position]
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F  // excludes UTF-16 surrogates
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F
        default: throw fail("invalid UTF-8", .invalidUTF8)
        }
        guard bytes.count - position >= length else { throw fail("truncated UTF-8", .invalidUTF8) }
        let second = bytes[position + 1]
        guard second >= lowerBound, second <= upperBound else { throw fail("invalid UTF-8", .invalidUTF8) }
        for i in 2..<max(length, 2) where bytes[position + i] & 0xC0 != 0x80 {
            throw fail("invalid UTF-8", .invalidUTF8)
        }
        out.append(contentsOf: bytes[position..<position + length])
        position += length
    }

    private mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = position
        var negative = false
        if bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw fail("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw fail("leading zero in number") }
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail("digit expected after '.'") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail("digit expected in exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if isInteger, let value = integerValue(start: negative ? start + 1 : start, negative: negative) {
            return .int(value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else {
            throw JSONError(.numberOutOfRange, "number out of range", at: start)
        }
        return .double(double)
    }

    /// The digits as an Int64, or nil when they overflow (then the number becomes a Double).
    private func integerValue(start: Int, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for i in start..<position {
            let digit = Int64(bytes[i] - UInt8(ascii: "0"))
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = next
        }
        return value
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
}
