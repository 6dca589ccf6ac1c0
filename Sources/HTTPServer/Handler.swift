/// The application side of the server.
public protocol HTTPHandler: AnyObject, Sendable {
    /// Called on an I/O thread, which must never block. Answer at once with `.respond`,
    /// or return `.deferred` and call `context.complete(_:)` exactly once later, from any thread.
    func handle(_ request: HTTPRequest, context: ResponseContext) -> HandlerResult

    /// Called on the I/O thread once the head of a request that carries a body is complete, and
    /// before any of the body is read (or `100 Continue` sent): the application decides whether it
    /// wants the body at all, and how large it may be. `request.body` is empty here.
    func admit(_ request: HTTPRequest) -> Admission

    /// The answer to a request the server refused: a malformed or too slow head (`request` is nil
    /// then), or a body that failed once its head was accepted (too large, badly framed, too
    /// slow). The connection closes after it. The application renders it, so every answer of the
    /// server, these included, is built in one place and carries the same headers (CORS).
    func failed(_ error: HTTPParseError, request: HTTPRequest?, requestID: String) -> HTTPResponse
}

public enum Admission: Sendable {
    /// Read a body of at most this many bytes (the server's MAX_BODY_BYTES still applies); more is 413.
    case proceed(maxBodyBytes: Int)
    /// Answer this without reading the body, then close the connection (RFC 9110 §15.5.14 allows
    /// closing on 413; the same holds for any answer sent before the body).
    case reject(HTTPResponse)
}

extension HTTPHandler {
    public func admit(_ request: HTTPRequest) -> Admission { .proceed(maxBodyBytes: Int.max) }
    public func failed(_ error: HTTPParseError, request: HTTPRequest?, requestID: String) -> HTTPResponse { HTTPResponse.problem(error) }
}

public enum HandlerResult: Sendable {
    case respond(HTTPResponse)
    case deferred
}

/// Where a deferred response goes. A plain struct, so the synchronous path allocates nothing.
/// Completing after the client has gone is harmless: the loop drops the response.
public struct ResponseContext: @unchecked Sendable {  // the connection is only touched on its loop's thread
    let loop: EventLoop?
    let connection: Connection?
    let serial: Int

    /// A context that drops its response, for calling handlers outside a server (tests).
    public static let detached = ResponseContext(loop: nil, connection: nil, serial: 0)

    public func complete(_ response: HTTPResponse) {
        guard let loop, let connection else { return }
        let serial = serial
        let confined = LoopConfined(connection)
        loop.execute { loop.deliver(response, to: confined.value, serial: serial) }
    }
}

/// Carries a loop-owned object to the loop's own thread through `execute`.
struct LoopConfined<T>: @unchecked Sendable {  // only dereferenced on the owning loop's thread
    let value: T
    init(_ value: T) { self.value = value }
}
