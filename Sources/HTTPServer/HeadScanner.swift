/// Finds the end of a request head incrementally: each call looks only at bytes it has not seen,
/// so a client sending one byte at a time costs O(n) in total, not O(n²) (slowloris).
/// It enforces the size limits early, before the whole head has arrived.
struct HeadScanner {
    enum Result: Equatable {
        case needMore
        /// The head spans `start..<end` of the buffer (end is just past the blank line).
        case complete(start: Int, end: Int)
        case failed(HTTPParseError)
    }

    private var start: Int
    private var scanned: Int
    private var lineStart: Int
    private var sawRequestLine = false
    private var headerLines = 0
    private var leadingEmptyLines = 0
    /// Empty lines tolerated before a request line (RFC 9112 §2.2 asks for at least one); more is
    /// a client feeding CRLFs to hold the connection, which would never count against a limit.
    static let maxLeadingEmptyLines = 8

    init(start: Int) {
        self.start = start
        scanned = start
        lineStart = start
    }

    mutating func scan(_ buffer: UnsafeBufferPointer<UInt8>, limits: HTTPLimits) -> Result {
        var i = scanned
        while i < buffer.count {
            if buffer[i] == 0x0A {
                // RFC 9112 §2.2: a bare LF as line terminator is a framing hazard; this server refuses it.
                guard i > lineStart, buffer[i - 1] == 0x0D else { return .failed(.init(400, "bare LF in request head")) }
                let lineLength = i - 1 - lineStart
                if !sawRequestLine {
                    if lineLength == 0 {
                        // RFC 9112 §2.2: ignore empty lines before the request line.
                        leadingEmptyLines += 1
                        if leadingEmptyLines > Self.maxLeadingEmptyLines { return .failed(.init(400, "too many empty lines before the request line")) }
                        start = i + 1
                    } else {
                        if lineLength > limits.maxRequestLine { return .failed(.init(414, "request line longer than \(limits.maxRequestLine) bytes")) }
                        sawRequestLine = true
                    }
                } else if lineLength == 0 {
                    scanned = i + 1
                    return .complete(start: start, end: i + 1)
                } else {
                    headerLines += 1
                    if headerLines > limits.maxHeaderCount { return .failed(.init(431, "more than \(limits.maxHeaderCount) header fields")) }
                }
                lineStart = i + 1
                if i + 1 - start > limits.maxHeaderBytes { return .failed(.init(431, "header section larger than \(limits.maxHeaderBytes) bytes")) }
            }
            i += 1
        }
        scanned = i
        if !sawRequestLine, i - lineStart > limits.maxRequestLine + 1 {
            return .failed(.init(414, "request line longer than \(limits.maxRequestLine) bytes"))
        }
        if i - start > limits.maxHeaderBytes + 2 {
            return .failed(.init(431, "header section larger than \(limits.maxHeaderBytes) bytes"))
        }
        return .needMore
    }

    /// Offsets move when the connection compacts its buffer.
    mutating func shift(by delta: Int) {
        start -= delta
        scanned -= delta
        lineStart -= delta
    }

    var hasStarted: Bool { scanned > start }
}
