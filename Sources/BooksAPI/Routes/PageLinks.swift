/// The RFC 8288 Link header for a page: first, prev, next and last, keeping the client's other parameters.
enum PageLinks {
    static func header(path: String, parameters: QueryString, skip: Int, limit: Int, total: Int) -> String {
        let kept = parameters.rawPairs(excluding: ["skip", "limit"]).joined(separator: "&")
        func link(_ skip: Int, _ rel: String) -> String {
            "<\(path)?\(kept.isEmpty ? "" : kept + "&")skip=\(skip)&limit=\(limit)>; rel=\"\(rel)\""
        }
        var links = [link(0, "first")]
        if skip > 0 { links.append(link(max(0, skip - limit), "prev")) }
        if skip + limit < total { links.append(link(skip + limit, "next")) }
        let lastSkip = total == 0 ? 0 : ((total - 1) / limit) * limit
        links.append(link(lastSkip, "last"))
        return links.joined(separator: ", ")
    }
}
