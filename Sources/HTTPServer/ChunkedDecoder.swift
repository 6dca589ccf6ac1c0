import ASCIIText

/// Decodes the chunked transfer coding (RFC 9112 §7.1) incrementally, straight into the body.
/// Strict: CRLF only, hex sizes without overflow, bounded extension and trailer lines.
struct ChunkedDecoder {
    enum Result: Equatable {
        case needMore
        case done
        case failed(HTTPParseError)
    }

    private enum State {
        case sizeLine
        case data(remaining: Int)
        case dataCRLF
        case trailer
    }

    private var state = State.sizeLine
    private var trailerBytes = 0
    private var trailerLines = 0

    /// Consumes bytes from `buffer[position...]`, advancing `position`, appending data to `body`.
    mutating func decode(_ buffer: UnsafeBufferPointer<UInt8>, position: inout Int, body: inout [UInt8], maxBody: Int, limits: HTTPLimits) -> Result {
        while true {
            switch state {
            case .sizeLine:
                guard let lineEnd = findLineEnd(buffer, from: position) else {
                    if buffer.count - position > limits.maxChunkLine { return .failed(.init(400, "chunk size line too long")) }
                    return .needMore
                }
                if case .failed(let e) = lineEnd { return .failed(e) }
                guard case .found(let end) = lineEnd else { return .needMore }
                if end - position > limits.maxChunkLine { return .failed(.init(400, "chunk size line too long")) }
                var size = 0
                var p = position
                while p < end, let digit = ASCIIHex.value(buffer[p]) {
                    // Checked: leading zeros are fine, a size past Int64 is refused, never wrapped.
                    let (times16, overflow) = size.multipliedReportingOverflow(by: 16)
                    guard !overflow else { return .failed(.init(400, "chunk size overflow")) }
                    size = times16 | Int(digit)
                    p += 1
                }
                guard p > position else { return .failed(.init(400, "invalid chunk size")) }
                // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ); checked loosely but bounded.
                if p < end {
                    var q = p
                    while q < end, buffer[q] == 0x20 || buffer[q] == 0x09 { q += 1 }
                    guard q < end, buffer[q] == UInt8(ascii: ";") else { return .failed(.init(400, "invalid chunk size")) }
                    if buffer[q..<end].contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
                        return .failed(.init(400, "control character in chunk extension"))
                    }
                }
                position = end + 2
                if size == 0 {
                    state = .trailer
                } else {
                    guard size <= maxBody - body.count else { return .failed(.init(413, "body larger than \(maxBody) bytes")) }
                    state = .data(remaining: size)
                }
            case .data(let remaining):
                let available = buffer.count - position
                guard available > 0 else { return .needMore }
                let take = min(available, remaining)
                body.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[position..<position + take]))
                position += take
                state = take == remaining ? .dataCRLF : .data(remaining: remaining - take)
            case .dataCRLF:
                guard buffer.count - position >= 2 else {
                    if buffer.count - position == 1, buffer[position] != 0x0D { return .failed(.init(400, "missing CRLF after chunk data")) }
                    return .needMore
                }
                guard buffer[position] == 0x0D, buffer[position + 1] == 0x0A else { return .failed(.init(400, "missing CRLF after chunk data")) }
                position += 2
                state = .sizeLine
            case .trailer:
                // Trailer fields are read and discarded (RFC 9112 §7.1.2 lets a recipient ignore them).
                guard let lineEnd = findLineEnd(buffer, from: position) else {
                    if buffer.count - position > limits.maxHeaderBytes { return .failed(.init(431, "trailer section too large")) }
                    return .needMore
                }
                if case .failed(let e) = lineEnd { return .failed(e) }
                guard case .found(let end) = lineEnd else { return .needMore }
                let length = end - position
                position = end + 2
                if length == 0 { return .done }
                trailerBytes += length + 2
                trailerLines += 1
                if trailerBytes > limits.maxHeaderBytes || trailerLines > limits.maxHeaderCount {
                    return .failed(.init(431, "trailer section too large"))
                }
                if buffer[end - length] == 0x20 || buffer[end - length] == 0x09 { return .failed(.init(400, "obsolete line folding in trailer")) }
            }
        }
    }

    private enum LineEnd { case found(Int), failed(HTTPParseError) }

    /// Index of the CR in the next CRLF; a bare LF or a CR not followed by LF is an error.
    private func findLineEnd(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> LineEnd? {
        var i = start
        while i < buffer.count {
            let b = buffer[i]
            if b == 0x0A { return .failed(.init(400, "bare LF in chunked body")) }
            if b == 0x0D {
                guard i + 1 < buffer.count else { return nil }
                return buffer[i + 1] == 0x0A ? .found(i) : .failed(.init(400, "bare CR in chunked body"))
            }
            if b == 0 { return .failed(.init(400, "NUL in chunked body framing")) }
            i += 1
        }
        return nil
    }
}
