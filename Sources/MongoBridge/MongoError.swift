import CMongoC

/// libmongoc failures, mapped once from (domain, code). The HTTP layer decides what they mean to a client.
public enum MongoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A unique index refused the write (E11000).
    case duplicateKey(String)
    /// No server could be selected or reached in time (down, unreachable, wrong replica set).
    case unreachable(String)
    /// A server was reached but did not answer in time (socket timeout, maxTimeMS).
    case timeout(String)
    /// The connection failed mid-operation. libmongoc says "socket error or timeout" of a reset
    /// and of a socket timeout alike, so `MongoPool` decides which by the time the call took,
    /// and no caller sees this case.
    case connectionLost(String)
    /// The server answered with an error that will not go away by retrying.
    case server(code: Int, message: String)
    /// The server answered with an error of a moment (a failover, a write conflict): retry soon.
    case transient(code: Int, message: String)
    /// The write was applied on the primary, but its write concern was not satisfied (a
    /// `writeConcernError`: 64 WriteConcernFailed, as for a wtimeout; 79 UnknownReplWriteConcern;
    /// 100 UnsatisfiableWriteConcern): whether it lasts is unknown. `timedOut` for a wtimeout.
    case writeConcern(code: Int, message: String, timedOut: Bool)
    /// The document would pass MongoDB's 16 MiB limit (BSONObjectTooLarge 10334 on insert; 17419
    /// and 17420 when an update or upsert would make it so).
    case tooLarge(code: Int, message: String)
    /// A document libbson or the server could not accept.
    case invalidDocument(String)
    /// A bad connection string or option.
    case configuration(String)
    /// The server refused the URL's credentials (AuthenticationFailed, 18, or a failed SCRAM
    /// exchange); retrying will not help until an operator fixes them.
    case authentication(String)
    /// Every pooled client stayed busy past the URL's waitQueueTimeoutMS.
    case poolExhausted(String)
    /// libmongoc handed back no object where it should have (a NULL it documents as impossible).
    case driver(String)

    /// The message alone, without the kind.
    public var message: String {
        switch self {
        case .duplicateKey(let m), .unreachable(let m), .timeout(let m), .connectionLost(let m), .invalidDocument(let m), .configuration(let m),
            .poolExhausted(let m), .driver(let m), .server(_, let m), .transient(_, let m), .writeConcern(_, let m, _), .tooLarge(_, let m), .authentication(let m):
            return m
        }
    }

    public var description: String {
        switch self {
        case .duplicateKey(let m): return "duplicate key: \(m)"
        case .unreachable(let m): return "MongoDB unreachable: \(m)"
        case .timeout(let m): return "MongoDB timed out: \(m)"
        case .connectionLost(let m): return "MongoDB connection lost: \(m)"
        case .server(let code, let m): return "MongoDB error \(code): \(m)"
        case .transient(let code, let m): return "MongoDB error \(code) (transient): \(m)"
        case .writeConcern(let code, let m, _): return "MongoDB write concern error \(code): \(m)"
        case .tooLarge(let code, let m): return "MongoDB document too large (\(code)): \(m)"
        case .invalidDocument(let m): return "invalid document: \(m)"
        case .configuration(let m): return "invalid MongoDB configuration: \(m)"
        case .authentication(let m): return "MongoDB authentication failed: \(m)"
        case .poolExhausted(let m): return "no MongoDB connection free: \(m)"
        case .driver(let m): return "MongoDB driver failure: \(m)"
        }
    }

    /// The one classification of libmongoc's failures, by domain, server code and error label,
    /// as the official drivers classify theirs. Error API version 2 (set on the pool): server
    /// errors carry MONGOC_ERROR_SERVER, write concern errors MONGOC_ERROR_WRITE_CONCERN, and
    /// transport failures their own domains. `reply` is the server's reply, when there is one:
    /// its `errorLabels` mark an error that is safe and useful to retry.
    init(_ error: bson_error_t, reply: Document? = nil) {
        var e = error
        let message = withUnsafeBytes(of: &e.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let domain = e.domain, code = Int(e.code)
        switch domain {
        case MONGOC_ERROR_WRITE_CONCERN.rawValue:
            self = .writeConcern(code: code, message: message, timedOut: Self.timeoutCodes.contains(code) || code == 64)
        case _ where Self.duplicateKeyCodes.contains(code):
            self = .duplicateKey(message)
        case MONGOC_ERROR_CLIENT.rawValue where code == Int(MONGOC_ERROR_CLIENT_AUTHENTICATE.rawValue),
            MONGOC_ERROR_SCRAM.rawValue,
            _ where code == 18 && domain == MONGOC_ERROR_SERVER.rawValue:
            self = .authentication(message)
        case MONGOC_ERROR_SERVER_SELECTION.rawValue, MONGOC_ERROR_CLIENT.rawValue:
            self = .unreachable(message)
        case MONGOC_ERROR_STREAM.rawValue:
            self = code == Int(MONGOC_ERROR_STREAM_SOCKET.rawValue) ? .connectionLost(message) : .unreachable(message)
        case MONGOC_ERROR_BSON.rawValue:
            self = .invalidDocument(message)
        case MONGOC_ERROR_COMMAND.rawValue where code == Int(MONGOC_ERROR_COMMAND_INVALID_ARG.rawValue):
            self = .invalidDocument(message)
        case _ where Self.tooLargeCodes.contains(code):
            self = .tooLarge(code: code, message: message)
        case _ where Self.timeoutCodes.contains(code):
            self = .timeout(message)
        case _ where Self.transientCodes.contains(code) || Self.transientLabels.contains(where: { Self.labels(reply).contains($0) }):
            self = .transient(code: code, message: message)
        default:
            self = .server(code: code, message: message)
        }
    }

    /// E11000 and its older forms.
    static let duplicateKeyCodes: Set<Int> = [11000, 11001, 12582]
    /// BSONObjectTooLarge, and an update's or upsert's result past 16 MiB.
    static let tooLargeCodes: Set<Int> = [10334, 17419, 17420]
    /// MaxTimeMSExpired, ExceededTimeLimit, NetworkTimeout.
    static let timeoutCodes: Set<Int> = [50, 262, 89]
    /// Errors of a moment: HostUnreachable, HostNotFound, ShutdownInProgress, InterruptedAtShutdown,
    /// InterruptedDueToReplStateChange, NotWritablePrimary, NotPrimaryNoSecondaryOk,
    /// NotPrimaryOrSecondary, PrimarySteppedDown, WriteConflict, FailedToSatisfyReadPreference,
    /// SocketException (the MongoDB server's error codes, src/mongo/base/error_codes.yml).
    static let transientCodes: Set<Int> = [6, 7, 91, 11600, 11602, 10107, 13435, 13436, 189, 112, 133, 9001]
    /// Labels the server puts on errors a driver may retry (the retryable writes and transactions specs).
    static let transientLabels = ["RetryableWriteError", "TransientTransactionError"]

    static func labels(_ reply: Document?) -> [String] {
        guard case .array(let labels)? = reply?["errorLabels"] else { return [] }
        return labels.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }
}
