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
        var links = Builder(path: path, parameters: parameters, excluding: ["skip", "limit"])
        func link(_ skip: Int, _ rel: StaticString) {
            links.add(rel) { out in
                out.append(contentsOf: "skip=".utf8)
                ASCIIDecimal.append(skip, to: &out)
                out.append(contentsOf: "&limit=".utf8)
                ASCIIDecimal.append(limit, to: &out)
            }
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
        return links.out
    }

    /// Keyset links: `first` (`cursor=`) and, if given, `next` (`cursor=TOKEN`; tokens are hex).
    static func keysetBytes(path: String, parameters: QueryString, limit: Int, next: String?) -> [UInt8] {
        var links = Builder(path: path, parameters: parameters, excluding: ["skip", "limit", "cursor"])
        func link(_ cursor: String, _ rel: StaticString) {
            links.add(rel) { out in
                out.append(contentsOf: "limit=".utf8)
                ASCIIDecimal.append(limit, to: &out)
                out.append(contentsOf: "&cursor=".utf8)
                out.append(contentsOf: cursor.utf8)
            }
        }
        link("", "first")
        if let next { link(next, "next") }
        return links.out
    }

    /// `<path?other-parameters&PAGING>; rel="REL"`, comma-separated: the one shape of every link.
    private struct Builder {
        var prefix: [UInt8] = []
        var out: [UInt8] = []

        init(path: String, parameters: QueryString, excluding paging: [String]) {
            prefix.reserveCapacity(path.utf8.count + 64)
            prefix.append(contentsOf: path.utf8)
            prefix.append(UInt8(ascii: "?"))
            parameters.appendRawPairs(excluding: paging, to: &prefix)
            out.reserveCapacity(4 * (prefix.count + 40))
        }

        mutating func add(_ rel: StaticString, paging: (inout [UInt8]) -> Void) {
            if !out.isEmpty { out.append(contentsOf: ", ".utf8) }
            out.append(UInt8(ascii: "<"))
            out.append(contentsOf: prefix)
            paging(&out)
            out.append(contentsOf: ">; rel=\"".utf8)
            out.append(contentsOf: UnsafeBufferPointer(start: rel.utf8Start, count: rel.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
        }
    }

}
