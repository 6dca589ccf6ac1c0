import ASCIIText
import HTTPServer

/// What every list endpoint shares: the original app's paging names (`skip`, `limit`), the sort
/// names (`sortasc`, `sortdesc`), and the headers of a page (`X-Total-Count` and an RFC 8288
/// `Link`). Books and resources parse them here, and answer through `respond`.
struct ListQuery<Field: RawRepresentable & CaseIterable & Equatable> where Field.RawValue == String {
    var skip = 0
    var limit: Int
    /// Most significant first. Given both, `sortasc` is the primary key and `sortdesc` the secondary
    /// one (so ?sortasc=author&sortdesc=year lists each author's newest first).
    var sort: [(field: Field, ascending: Bool)] = []

    /// limit 0 or absent means the largest page: pymongo's limit(0) meant "no limit".
    init(_ p: QueryString, maxPageSize: Int) throws(Problem) {
        limit = maxPageSize
        if let text = try p.value("skip") {
            guard let n = ASCIIDecimal.int(text), n <= 1_000_000_000 else { throw .badParameter("skip", "must be a whole number from 0 to 1000000000, digits only") }
            skip = n
        }
        if let text = try p.value("limit") {
            guard let n = ASCIIDecimal.int(text) else { throw .badParameter("limit", "must be a whole number from 0 to \(maxPageSize), digits only") }
            guard n <= maxPageSize else { throw .badParameter("limit", "must be at most \(maxPageSize)") }
            limit = n == 0 ? maxPageSize : n
        }
        for (name, ascending) in [("sortasc", true), ("sortdesc", false)] {
            guard let value = try p.value(name) else { continue }
            guard let field = Field(rawValue: value) else {
                throw .badParameter(name, "names an unknown field \"\(value)\"; sortable: \(Field.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !sort.contains(where: { $0.field == field }) { sort.append((field, ascending)) }
        }
    }

    /// A keyset page: `Link` to the first page (`cursor=`) and, when the page is full, the next
    /// one (`cursor=` the store's token); no prev or last, which keyset paging cannot know cheaply.
    func respondKeyset(_ body: [UInt8], total: Int?, next: String?, path: String, parameters: QueryString, preference: CountPreference?) -> HTTPResponse {
        var response = HTTPResponse(status: 200, contentType: "application/json", body: body)
        if let total {
            var count: [UInt8] = []
            ASCIIDecimal.append(total, to: &count)
            count.withUnsafeBufferPointer { response.addHeader("X-Total-Count", bytes: $0) }
        }
        PageLinks.keysetBytes(path: path, parameters: parameters, limit: limit, next: next).withUnsafeBufferPointer { response.addHeader("Link", bytes: $0) }
        if let preference { response.addHeader("Preference-Applied", "count=" + preference.rawValue) }
        return response
    }

    /// The names every list endpoint accepts, before its own filters.
    static var names: [String] { ["skip", "limit", "sortasc", "sortdesc"] }

    /// A page as the original app answered it: a bare JSON array, with the count of all matches
    /// and links to the first, previous, next and last pages (keeping the client's other parameters).
    /// Without a count (`Prefer: count=none`): no `X-Total-Count`, no `rel="last"`, and `rel="next"`
    /// whenever the page is full. `preference` is echoed in `Preference-Applied` (RFC 7240 §3).
    func respond(_ body: [UInt8], total: Int?, returned: Int, path: String, parameters: QueryString, preference: CountPreference?) -> HTTPResponse {
        var response = HTTPResponse(status: 200, contentType: "application/json", body: body)
        if let total {
            var count: [UInt8] = []
            ASCIIDecimal.append(total, to: &count)
            count.withUnsafeBufferPointer { response.addHeader("X-Total-Count", bytes: $0) }
        }
        PageLinks.bytes(path: path, parameters: parameters, skip: skip, limit: limit, total: total, pageIsFull: returned >= limit)
            .withUnsafeBufferPointer { response.addHeader("Link", bytes: $0) }
        if let preference { response.addHeader("Preference-Applied", "count=" + preference.rawValue) }
        return response
    }
}
