import ASCIIText
import HTTPServer

/// The RFC 8288 Link header for a page: first, prev, next and last, keeping the client's other
/// parameters. Built as bytes: it is on every list response.
enum PageLinks {
    static func header(path: String, parameters: QueryString, skip: Int, limit: Int, total: Int?, pageIsFull: Bool = true) -> String {
        String(decoding: bytes(path: path, parameters: parameters, skip: skip, limit: limit, total: total, pageIsFull: pageIsFull), as: UTF8.self)
    }

    /// Without a total, `next` is offered when the page is full, and there is no `last`.
    static func bytes(path: String, parameters: QueryString, skip: Int, limit: Int, total: Int?, pageIsFull: Bool = true) -> [UInt8] {
        var prefix: [UInt8] = []
        prefix.reserveCapacity(path.utf8.count + 64)
        prefix.append(contentsOf: path.utf8)
        prefix.append(UInt8(ascii: "?"))
        parameters.appendRawPairs(excluding: Self.paging, to: &prefix)
        var out: [UInt8] = []
        out.reserveCapacity(4 * (prefix.count + 40))
        func link(_ skip: Int, _ rel: StaticString) {
            if !out.isEmpty { out.append(contentsOf: ", ".utf8) }
            out.append(UInt8(ascii: "<"))
            out.append(contentsOf: prefix)
            out.append(contentsOf: "skip=".utf8)
            ASCIIDecimal.append(skip, to: &out)
            out.append(contentsOf: "&limit=".utf8)
            ASCIIDecimal.append(limit, to: &out)
            out.append(contentsOf: ">; rel=\"".utf8)
            out.append(contentsOf: UnsafeBufferPointer(start: rel.utf8Start, count: rel.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
        }
        link(0, "first")
        if skip > 0 { link(max(0, skip - limit), "prev") }
        let (end, overflow) = skip.addingReportingOverflow(limit)
        if let total {
            if !overflow, end < total { link(end, "next") }
            link(total == 0 ? 0 : ((total - 1) / limit) * limit, "last")
        } else if !overflow, pageIsFull {
            link(end, "next")
        }
        return out
    }

    /// Keyset links: `first` (`cursor=`) and, if given, `next` (`cursor=TOKEN`; tokens are hex).
    static func keysetBytes(path: String, parameters: QueryString, limit: Int, next: String?) -> [UInt8] {
        var prefix: [UInt8] = []
        prefix.append(contentsOf: path.utf8)
        prefix.append(UInt8(ascii: "?"))
        parameters.appendRawPairs(excluding: ["skip", "limit", "cursor"], to: &prefix)
        var out: [UInt8] = []
        func link(_ cursor: String, _ rel: String) {
            if !out.isEmpty { out.append(contentsOf: ", ".utf8) }
            out.append(UInt8(ascii: "<"))
            out.append(contentsOf: prefix)
            out.append(contentsOf: "limit=".utf8)
            ASCIIDecimal.append(limit, to: &out)
            out.append(contentsOf: "&cursor=".utf8)
            out.append(contentsOf: cursor.utf8)
            out.append(contentsOf: ">; rel=\"".utf8)
            out.append(contentsOf: rel.utf8)
            out.append(UInt8(ascii: "\""))
        }
        link("", "first")
        if let next { link(next, "next") }
        return out
    }

    private static let paging = ["skip", "limit"]
}
