/// Request methods the server knows by name; any other token is kept as `.other`.
public enum HTTPMethod: Equatable, Hashable, Sendable, CustomStringConvertible {
    case get, head, post, put, patch, delete, options
    case other(String)

    init(token bytes: UnsafeBufferPointer<UInt8>) {
        switch bytes.count {
        case 3 where bytes.elementsEqual("GET".utf8): self = .get
        case 3 where bytes.elementsEqual("PUT".utf8): self = .put
        case 4 where bytes.elementsEqual("HEAD".utf8): self = .head
        case 4 where bytes.elementsEqual("POST".utf8): self = .post
        case 5 where bytes.elementsEqual("PATCH".utf8): self = .patch
        case 6 where bytes.elementsEqual("DELETE".utf8): self = .delete
        case 7 where bytes.elementsEqual("OPTIONS".utf8): self = .options
        default: self = .other(String(decoding: bytes, as: UTF8.self))
        }
    }

    public var description: String {
        switch self {
        case .get: return "GET"
        case .head: return "HEAD"
        case .post: return "POST"
        case .put: return "PUT"
        case .patch: return "PATCH"
        case .delete: return "DELETE"
        case .options: return "OPTIONS"
        case .other(let s): return s
        }
    }
}

public enum HTTPVersion: Sendable, Equatable {
    case http10, http11
}

/// Header fields as byte ranges into one copy of the header section.
/// Names compare case-insensitively (RFC 9110 §5.1); values become Strings only when asked for.
public struct HTTPHeaders: Sendable {
    struct Field: Sendable {
        var nameStart: Int32, nameEnd: Int32, valueStart: Int32, valueEnd: Int32
    }

    let storage: [UInt8]
    var fields: [Field]

    init(storage: [UInt8], fields: [Field]) {
        self.storage = storage
        self.fields = fields
    }

    public var count: Int { fields.count }

    /// The first value of `name` (which must be lowercase ASCII).
    public subscript(name: String) -> String? {
        guard let field = first(name) else { return nil }
        return string(field.valueStart, field.valueEnd)
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { matches($0, name) }.map { string($0.valueStart, $0.valueEnd) }
    }

    /// All fields as (name, value) Strings, for logging and tests.
    public var all: [(name: String, value: String)] {
        fields.map { (string($0.nameStart, $0.nameEnd), string($0.valueStart, $0.valueEnd)) }
    }

    func first(_ name: String) -> Field? { fields.first { matches($0, name) } }

    func matches(_ field: Field, _ lowercaseName: String) -> Bool {
        let length = Int(field.nameEnd - field.nameStart)
        var name = lowercaseName
        return name.withUTF8 { key in
            guard key.count == length else { return false }
            for i in 0..<length where asciiLower(storage[Int(field.nameStart) + i]) != key[i] { return false }
            return true
        }
    }

    func bytes(_ start: Int32, _ end: Int32) -> ArraySlice<UInt8> { storage[Int(start)..<Int(end)] }

    private func string(_ start: Int32, _ end: Int32) -> String {
        String(decoding: storage[Int(start)..<Int(end)], as: UTF8.self)
    }
}

@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 {
    b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b
}

/// One parsed request. `path` and `query` are still percent-encoded; routing decodes segments.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The client's X-Request-ID when it is safe to echo, else one the server made.
    public var requestID: String
    public var keepAlive: Bool

    init(
        method: HTTPMethod, path: String, query: String?, version: HTTPVersion, headers: HTTPHeaders,
        body: [UInt8], requestID: String, keepAlive: Bool
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.requestID = requestID
        self.keepAlive = keepAlive
    }

    /// Builds a request by hand, for tests and internal dispatch.
    public init(
        method: HTTPMethod, path: String, query: String? = nil, version: HTTPVersion = .http11,
        headers: [(String, String)] = [], body: [UInt8] = [], requestID: String = "test"
    ) {
        var storage: [UInt8] = []
        var fields: [HTTPHeaders.Field] = []
        for (name, value) in headers {
            let ns = Int32(storage.count); storage += name.utf8
            let ne = Int32(storage.count); storage += value.utf8
            fields.append(.init(nameStart: ns, nameEnd: ne, valueStart: ne, valueEnd: Int32(storage.count)))
        }
        self.method = method
        self.path = path
        self.query = query
        self.version = version
        self.headers = HTTPHeaders(storage: storage, fields: fields)
        self.body = body
        self.requestID = requestID
        self.keepAlive = true
    }
}
