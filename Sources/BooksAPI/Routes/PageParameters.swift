/// `skip` and `limit`, the original app's paging names, for every list endpoint.
enum PageParameters {
    /// limit 0 or absent means the largest page: pymongo's limit(0) meant "no limit".
    static func parse(_ p: QueryString, maxPageSize: Int) throws(Problem) -> (skip: Int, limit: Int) {
        var skip = 0, limit = maxPageSize
        if let text = try p.value("skip") {
            guard let n = Int(text), n >= 0, n <= 1_000_000_000 else { throw .badParameter("skip", "must be a whole number from 0") }
            skip = n
        }
        if let text = try p.value("limit") {
            guard let n = Int(text), n >= 0 else { throw .badParameter("limit", "must be a whole number from 0 to \(maxPageSize)") }
            guard n <= maxPageSize else { throw .badParameter("limit", "must be at most \(maxPageSize)") }
            limit = n == 0 ? maxPageSize : n
        }
        return (skip, limit)
    }
}
