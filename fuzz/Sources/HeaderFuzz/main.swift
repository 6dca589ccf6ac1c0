import ASCIIText
import FuzzSupport
import Glibc
import JSON

@testable import BooksApp
@testable import HTTPServer

// libFuzzer target: header and parameter values straight into their parsers, where a signed
// 18-digit hour once crashed the server behind 300 M inputs of the connection-level targets.
// The first byte picks the parser; the rest is the value. Properties, not just "no crash":
// a parsed date formats back to itself, a byte range lies inside the file, a decimal agrees
// with the standard library, an RFC 3339 instant round-trips. Inputs per parser are counted and
// printed at exit, so the README can say how many each received.

nonisolated(unsafe) var counts = [Int](repeating: 0, count: 8)
let names = ["date", "range", "etag", "decimal", "content-length", "conditional", "query", "rfc3339"]
nonisolated(unsafe) let site = StaticSite(directory: "client-tier")!
nonisolated(unsafe) let file = site.lookup("/app.css")!
nonisolated(unsafe) let fileBody = file.body!
nonisolated(unsafe) let books: BookRoutes = {  // an empty store the query target never reaches: it stops at parsing
    let base = getenv("APPFUZZ_DIR").map { String(cString: $0) } ?? "/tmp"  // scripts/fuzz points it at a directory it removes
    var template = Array("\(base)/booksapi-headerfuzz-XXXXXX".utf8CString)
    let store = try! EmbeddedStore(directory: String(cString: mkdtemp(&template)!), maxDocumentBytes: 1024, compactMinBytes: 1 << 20)
    return BookRoutes(store: InstrumentedStore(store, metrics: StoreMetrics()), validator: BookValidator(maxDocumentBytes: 1024), maxPageSize: 50)
}()
nonisolated(unsafe) let reported: Void = {
    atexit {
        let line = "headers: " + zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", ") + " inputs\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}()

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = reported
    guard size > 0 else { return 0 }
    let mode = Int(data[0] % 8)
    counts[mode] += 1
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let text = String(decoding: bytes, as: UTF8.self)
    switch mode {
    case 0:
        if let seconds = HTTPDate.parse(bytes: bytes) {
            // 0000-01-01 to 9999-12-31: IMF-fixdate's year is 4DIGIT, so 0000 is a date too.
            precondition((-62_167_219_200...253_402_300_799).contains(seconds), "a date outside the four-digit years")
            let again = HTTPDate.format(epochSeconds: seconds).withUnsafeBufferPointer { HTTPDate.parse(bytes: $0) }
            precondition(again == seconds, "a parsed date does not format back to itself")
        }
    case 1:
        let length = size % 300
        if case .range(let lower, let upper) = StaticResponse.byteRange(text, length: length) {
            precondition(lower >= 0 && lower <= upper && upper < length, "a range outside the file")
        }
    case 2:
        let current = ETag.of(Array(bytes.prefix(8)))
        _ = ETag.matches(text, current: current)
        _ = ETag.noneMatch(text, current: current)
    case 3:
        let value = ASCIIDecimal.parse(bytes, allowMinus: true)
        if !text.contains("+") { precondition(value == Int64(text), "disagrees with Int64(String)") }
    case 4:
        let head = Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ".utf8) + bytes + Array("\r\n\r\n".utf8)
        let parsed = head.withUnsafeBufferPointer { HeadParser.parse($0, limits: HTTPLimits()) }
        if case .success(let request) = parsed, case .length(let n) = request.framing { precondition(n > 0 && n <= HTTPLimits().maxBodyBytes) }
    case 5:
        let split = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let first = String(decoding: bytes[..<split], as: UTF8.self), second = String(decoding: bytes[split...].dropFirst(), as: UTF8.self)
        let request = HTTPRequest(
            method: .get, path: "/app.css",
            headers: [
                ("If-Modified-Since", first), ("If-None-Match", second),
                ("Range", first), ("If-Range", second),
            ])
        let response = StaticResponse.make(file, body: fileBody, request: request)
        precondition([200, 206, 304, 416].contains(response.status))
        if response.status == 206 { precondition(response.body.count <= fileBody.count && !response.body.isEmpty) }
    case 6:
        _ = try? books.parseListQuery(QueryString(text))
    default:
        if let millis = RFC3339.parse(text, offsetOptional: true), millis >= -62_135_596_800_000, millis <= 253_402_300_799_999 {
            precondition(RFC3339.parse(RFC3339.format(millis)) == millis, "an instant does not round-trip")
        }
    }
    return 0
}

runLibFuzzer(fuzz)
