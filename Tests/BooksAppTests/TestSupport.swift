@testable import BooksApp
import Glibc
import HTTPServer
import JSON

/// A fresh temporary directory per call, under /tmp.
func temporaryDirectory(_ name: String = "booksapi") -> String {
    var template = Array("/tmp/\(name)-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

func book(_ id: String, _ title: String, _ author: String, year: Int64? = nil, score: Int64 = -1, read: Bool = false) -> JSONObject {
    var b = JSONObject([JSONField("id", .string(id)), JSONField("title", .string(title)), JSONField("author", .string(author))])
    if let year { b["year"] = .int(year) }
    b["score"] = .int(score)
    b["read"] = .bool(read)
    return b
}

func ids(_ page: BookPage) -> [String] {
    page.items.map { (try? JSONParser.parse($0))?.objectValue?["id"]?.stringValue ?? "?" }
}

func readFile(_ path: String) -> [UInt8] { (try? FileBytes.read(path: path)) ?? [] }

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}
