import CMongoC

/// libmongoc failures, mapped once from (domain, code). The HTTP layer decides what they mean to a client.
public enum MongoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A unique index refused the write (E11000).
    case duplicateKey(String)
    /// No server could be selected or reached in time (down, unreachable, wrong replica set).
    case unreachable(String)
    /// A server was reached but did not answer in time (socket timeout).
    case timeout(String)
    /// The server answered with an error.
    case server(code: Int, message: String)
    /// A document libbson or the server could not accept.
    case invalidDocument(String)
    /// A bad connection string or option.
    case configuration(String)
    /// Every pooled client stayed busy past the URL's waitQueueTimeoutMS.
    case poolExhausted(String)
    /// libmongoc handed back no object where it should have (a NULL it documents as impossible).
    case driver(String)

    /// The message alone, without the kind.
    public var message: String {
        switch self {
        case .duplicateKey(let m), .unreachable(let m), .timeout(let m), .invalidDocument(let m), .configuration(let m),
             .poolExhausted(let m), .driver(let m), .server(_, let m): return m
        }
    }

    public var description: String {
        switch self {
        case .duplicateKey(let m): return "duplicate key: \(m)"
        case .unreachable(let m): return "MongoDB unreachable: \(m)"
        case .timeout(let m): return "MongoDB timed out: \(m)"
        case .server(let code, let m): return "MongoDB error \(code): \(m)"
        case .invalidDocument(let m): return "invalid document: \(m)"
        case .configuration(let m): return "invalid MongoDB configuration: \(m)"
        case .poolExhausted(let m): return "no MongoDB connection free: \(m)"
        case .driver(let m): return "MongoDB driver failure: \(m)"
        }
    }

    /// Error API version 2 (set on the pool): server errors carry MONGOC_ERROR_SERVER, write
    /// concern errors MONGOC_ERROR_WRITE_CONCERN, and transport failures their own domains.
    init(_ error: bson_error_t) {
        var e = error
        let message = withUnsafeBytes(of: &e.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let domain = e.domain, code = e.code
        switch (domain, code) {
        case (_, 11000), (_, 11001), (_, 12582):
            self = .duplicateKey(message)
        case (MONGOC_ERROR_SERVER_SELECTION.rawValue, _):
            self = .unreachable(message)
        case (MONGOC_ERROR_STREAM.rawValue, MONGOC_ERROR_STREAM_SOCKET.rawValue):
            self = message.contains("timed out") || message.contains("timeout") ? .timeout(message) : .unreachable(message)
        case (MONGOC_ERROR_STREAM.rawValue, _):
            self = .unreachable(message)
        case (MONGOC_ERROR_BSON.rawValue, _), (MONGOC_ERROR_COMMAND.rawValue, MONGOC_ERROR_COMMAND_INVALID_ARG.rawValue):
            self = .invalidDocument(message)
        case (MONGOC_ERROR_CLIENT.rawValue, _):
            self = .unreachable(message)
        case (MONGOC_ERROR_SERVER.rawValue, 50), (MONGOC_ERROR_SERVER.rawValue, 262):  // MaxTimeMSExpired, ExceededTimeLimit
            self = .timeout(message)
        default:
            self = .server(code: Int(code), message: message)
        }
    }
}
