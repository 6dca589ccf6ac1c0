import ASCIIText
import HTTPServer
import JSON

/// /books and /books/{id}, compatible with the original Flask + pymongo app: the same query
/// names (skip, limit, sortasc, sortdesc) and body shapes ({"Inserted": {"id": ...}} and friends).
struct BookRoutes: Sendable {
    let store: InstrumentedStore
    let validator: BookValidator
    let maxPageSize: Int
    /// BATCH_LIMIT: most books one POST inserts.
    var batchLimit = 1000

    // MARK: GET /books

    func list(_ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let parameters = try QueryString(request.query)
        var (list, query) = try parseListQuery(parameters)
        query.count = CountPreference.of(request.headers["prefer"])
        let page = try store.listBooks(query)
        var body: [UInt8] = []
        body.reserveCapacity(page.items.reduce(2) { $0 + $1.count + 1 })
        body.append(UInt8(ascii: "["))
        for (i, item) in page.items.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: item)
        }
        body.append(UInt8(ascii: "]"))
        if query.keyset {
            return list.respondKeyset(body, total: page.total, next: page.next?.token, path: "/books", parameters: parameters, preference: query.count)
        }
        return list.respond(body, total: page.total, returned: page.items.count, path: "/books", parameters: parameters, preference: query.count)
    }

    /// Whether a list request's cost is bounded by its page on the embedded store: no filter (the
    /// filters count or scan their matches) and at most one sort key. Unparsable queries are not
    /// (the handler, on the pool, answers them 400).
    @Sendable static func isBounded(_ request: HTTPRequest) -> Bool {
        guard let p = try? QueryString(request.query) else { return false }
        for name in ["author", "read", "q", "year_gte", "year_lte"] where (try? p.value(name)) != nil { return false }
        return (try? p.value("sortasc")) == nil || (try? p.value("sortdesc")) == nil
    }

    static let listParameters = ListQuery<BookSortField>.names + ["author", "read", "q", "year_gte", "year_lte", "cursor"]

    func parseListQuery(_ p: QueryString) throws(Problem) -> (ListQuery<BookSortField>, BookQuery) {
        try p.requireOnly(Self.listParameters, endpoint: "GET /books")
        let list = try ListQuery<BookSortField>(p, maxPageSize: maxPageSize)
        var query = BookQuery(skip: list.skip, limit: list.limit)
        query.sort = list.sort.map { BookSort(field: $0.field, ascending: $0.ascending) }
        query.author = try p.value("author")
        if let read = try p.value("read") {
            switch read {
            case "true", "1": query.read = true
            case "false", "0": query.read = false
            default: throw .badParameter("read", "must be true or false")
            }
        }
        if let q = try p.value("q"), !q.isEmpty {
            guard q.unicodeScalars.count <= 300 else { throw .badParameter("q", "must be at most 300 characters") }
            query.text = q
        }
        query.yearFrom = try year(p, "year_gte")
        query.yearTo = try year(p, "year_lte")
        if let cursor = try p.value("cursor") {  // present, even empty: keyset paging from the start
            guard try p.value("skip") == nil else { throw .badParameter("cursor", "cannot be combined with skip; follow the Link rel=\"next\" cursors instead") }
            guard query.sort.count <= 1 else { throw .badParameter("cursor", "pages lists with at most one sort key (sortasc or sortdesc, not both)") }
            query.keyset = true
            if !cursor.isEmpty { query.after = try PageCursor(token: cursor, sort: query.sort.first) }
        }
        return (list, query)
    }

    private func year(_ p: QueryString, _ name: String) throws(Problem) -> Int64? {
        guard let text = try p.value(name) else { return nil }
        guard let n = ASCIIDecimal.parse(text, allowMinus: true) else { throw .badParameter(name, "must be a whole number (digits, optionally after -)") }
        return n
    }

    // MARK: /books/{id}

    func get(_ request: HTTPRequest, id: String) throws(Problem) -> HTTPResponse {
        guard let json = try store.book(id: id) else { throw Problem(404, "no book with id \(id)") }
        let etag = ETag.of(json)
        if let condition = request.headers["if-none-match"], !ETag.noneMatch(condition, current: etag) {
            var notModified = HTTPResponse(status: 304)
            notModified.addHeader("ETag", etag)
            return notModified
        }
        var response = HTTPResponse(status: 200, contentType: "application/json", body: json)
        response.addHeader("ETag", etag)
        return response
    }

    func create(_ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: ["application/json"])
        if case .array(let items) = body { return try createMany(items) }
        let id = Self.newID()
        let book: JSONObject
        switch validator.newBook(body, id: id) {
        case .success(let b): book = b
        case .failure(let errors): throw .validation(errors.list)
        }
        try store.insertBook(book)
        var response = Self.envelope(201, "Inserted", id)
        response.addHeader("Location", "/books/" + id)
        return response
    }

    func update(_ request: HTTPRequest, id: String, merge: Bool) throws(Problem) -> HTTPResponse {
        let body = try RequestBody.json(request, mediaTypes: merge ? ["application/merge-patch+json", "application/json"] : ["application/json"])
        let patch: BookPatch
        switch merge ? validator.mergePatch(body, id: id) : validator.replaceFields(body, id: id) {
        case .success(let p): patch = p
        case .failure(let errors): throw .validation(errors.list)
        }
        let ifMatch = request.headers["if-match"]
        let precondition: (([UInt8]) -> Bool)? = ifMatch.map { header in { ETag.matches(header, current: ETag.of($0)) } }
        let outcome = try store.updateBook(id: id, patch: patch, precondition: precondition)
        switch outcome {
        case .notFound: throw Problem(404, "no book with id \(id)")
        case .preconditionFailed: throw Problem(412, "the book has changed since the ETag in If-Match was issued")
        case .updated(let json):
            var response = Self.envelope(200, "Updated", id)
            response.addHeader("ETag", ETag.of(json))
            return response
        }
    }

    /// An array of up to BATCH_LIMIT books, every one validated first (errors name `[index].field`;
    /// nothing is written). An item may carry its own `id` (1 to 128 characters, no `/`), which
    /// makes sending a batch again after an unknown outcome safe. The embedded store writes them
    /// all or none; MongoDB without a transaction writes them in order and says how far it got.
    func createMany(_ items: [JSONValue]) throws(Problem) -> HTTPResponse {
        guard !items.isEmpty else { throw .validation([FieldError("(body)", "must hold at least one book")]) }
        guard items.count <= batchLimit else { throw .validation([FieldError("(body)", "holds \(items.count) books; at most \(batchLimit) (BATCH_LIMIT) at once")]) }
        var books: [JSONObject] = [], errors: [FieldError] = []
        var seen: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            var id = Self.newID()
            if case .object(let o) = item, let given = o["id"] {
                if case .string(let s) = given, (1...128).contains(s.unicodeScalars.count), !s.contains("/"), s.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) {
                    id = s
                } else {
                    errors.append(FieldError("[\(i)].id", "must be a string of 1 to 128 characters without / or control characters"))
                }
            }
            if let first = seen.updateValue(i, forKey: id) { errors.append(FieldError("[\(i)].id", "repeats item \(first)'s id")) }
            switch validator.newBook(item, id: id, allowIDInBody: true) {
            case .success(let book): books.append(book)
            case .failure(let e): errors += e.list.map { FieldError("[\(i)].\($0.field)", $0.message) }
            }
        }
        if !errors.isEmpty { throw .validation(errors) }
        let ids = books.map { $0["id"]!.stringValue! }
        switch try store.insertBooks(books) {
        case .inserted:
            return InventoryRoutes.json(201, .object(JSONObject([JSONField("Inserted", .object(JSONObject([JSONField("ids", .array(ids.map(JSONValue.string)))])))])))
        case .duplicates(let taken):
            var problem = Problem(409, "\(taken.count) of the books' ids exist already; nothing was written")
            problem.extensions = [JSONField("existing", .array(taken.map(JSONValue.string)))]
            throw problem
        case .partial(let written, let index, let reason):
            var problem = Problem(
                409, "item \(index) failed (\(reason)) after \(written.count) were written: this store writes a batch in order, not atomically; send items \(index) on again")
            problem.extensions = [
                JSONField("written", .array(written.map(JSONValue.string))),
                JSONField("failed", .object(JSONObject([JSONField("index", .int(Int64(index))), JSONField("id", .string(ids[index])), JSONField("reason", .string(reason))]))),
            ]
            throw problem
        }
    }

    func delete(_ request: HTTPRequest, id: String) throws(Problem) -> HTTPResponse {
        guard try store.deleteBook(id: id) else { throw Problem(404, "no book with id \(id)") }
        return Self.envelope(200, "Deleted", id)
    }

    // MARK: helpers

    /// `{"Inserted": {"id": "..."}}`: the original app's answer shape.
    static func envelope(_ status: Int, _ verb: String, _ id: String) -> HTTPResponse {
        let object = JSONObject([JSONField(verb, .object(JSONObject([JSONField("id", .string(id))])))])
        return HTTPResponse(status: status, contentType: "application/json", body: JSONWriter.encode(.object(object)))
    }

    /// 32 lowercase hex digits from the system's CSPRNG, like the original's uuid4().hex.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for _ in 0..<2 {
            var word = generator.next()
            for _ in 0..<16 { out.append(ASCIIHex.lowercase[Int(word & 0xF)]); word >>= 4 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
