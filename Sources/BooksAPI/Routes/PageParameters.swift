import ASCIIText

/// `skip` and `limit`, the original app's paging names, for every list endpoint.
enum PageParameters {
    /// limit 0 or absent means the largest page: pymongo's limit(0) meant "no limit".
    static func parse(_ p: QueryString, maxPageSize: Int) throws(Problem) -> (skip: Int, limit: Int) {
        var skip = 0, limit = maxPageSize
        if let text = try p.value("skip") {
            guard let n = ASCIIDecimal.int(text), n <= 1_000_000_000 else { throw .badParameter("skip", "must be a whole number from 0 to 1000000000, digits only") }
            skip = n
        }
        if let text = try p.value("limit") {
            guard let n = ASCIIDecimal.int(text) else { throw .badParameter("limit", "must be a whole number from 0 to \(maxPageSize), digits only") }
            guard n <= maxPageSize else { throw .badParameter("limit", "must be at most \(maxPageSize)") }
            limit = n == 0 ? maxPageSize : n
        }
        return (skip, limit)
    }
}
