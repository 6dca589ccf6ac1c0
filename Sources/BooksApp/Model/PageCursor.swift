import ASCIIText
import JSON

/// Keyset paging (issue 14): where the last page ended, as an opaque token. A page by cursor
/// starts right after that position in the sort's order, found by a search of the sort index
/// (embedded) or a range filter on it (MongoDB), so it costs O(log n + page) at any depth, where
/// `skip` costs O(skip). The token is hex of a small JSON object, checked strictly when it comes back.
struct PageCursor: Equatable, Sendable {
    /// The sort it belongs to; nil: insertion order.
    var sort: BookSort?
    /// The last item's value of the sort field (null when it had none), and its id.
    var key: JSONValue
    var id: String
    /// For insertion order: the store's own position of the last item (the embedded store's
    /// sequence number, MongoDB's `_id`).
    var position: String?

    var token: String {
        var o = JSONObject([JSONField("k", key), JSONField("i", .string(id))])
        if let sort {
            o["s"] = .string(sort.field.rawValue)
            o["a"] = .bool(sort.ascending)
        }
        if let position { o["p"] = .string(position) }
        return Self.hex(o)
    }

    /// A small JSON object as the hex of its bytes: opaque to clients, safe in a URL.
    static func hex(_ o: JSONObject) -> String {
        var out: [UInt8] = []
        for byte in JSONWriter.encode(.object(o)) {
            out.append(ASCIIHex.lowercase[Int(byte >> 4)])
            out.append(ASCIIHex.lowercase[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The object of a token `hex` made; anything else is a 400 naming `cursor`.
    static func object(hex token: String) throws(Problem) -> JSONObject {
        let hex = Array(token.utf8)
        guard hex.count % 2 == 0, hex.count <= 4096 else { throw .badParameter("cursor", "is not a cursor this API issued") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        for i in stride(from: 0, to: hex.count, by: 2) {
            guard let high = ASCIIHex.value(hex[i]), let low = ASCIIHex.value(hex[i + 1]) else { throw .badParameter("cursor", "is not a cursor this API issued") }
            bytes.append(high << 4 | low)
        }
        guard case .object(let o)? = try? JSONParser.parse(bytes) else { throw .badParameter("cursor", "is not a cursor this API issued") }
        return o
    }

    /// Decodes a token for a list sorted by `sort`; a token from another sort, or one that is not
    /// ours, is a 400 naming `cursor`.
    init(token: String, sort: BookSort?) throws(Problem) {
        let o = try Self.object(hex: token)
        guard case .string(let id)? = o["i"], let key = o["k"] else {
            throw .badParameter("cursor", "is not a cursor this API issued")
        }
        var tokenSort: BookSort?
        if case .string(let name)? = o["s"] {
            guard let field = BookSortField(rawValue: name), case .bool(let ascending)? = o["a"] else { throw .badParameter("cursor", "is not a cursor this API issued") }
            tokenSort = BookSort(field: field, ascending: ascending)
        }
        guard tokenSort == sort else { throw .badParameter("cursor", "belongs to a list with another sort; start again from cursor= with this sort") }
        var position: String?
        if case .string(let p)? = o["p"] {
            // The embedded store's sequence (decimal digits) or MongoDB's _id (24 hex digits).
            guard (1...24).contains(p.utf8.count), p.utf8.allSatisfy({ ASCIIHex.value($0) != nil }) else { throw .badParameter("cursor", "is not a cursor this API issued") }
            position = p
        }
        guard sort != nil || position != nil else { throw .badParameter("cursor", "is not a cursor this API issued") }
        self.init(sort: sort, key: key, id: id, position: position)
    }

    init(sort: BookSort?, key: JSONValue, id: String, position: String?) {
        self.sort = sort
        self.key = key
        self.id = id
        self.position = position
    }
}

/// Keyset paging of GET /availability: the last row's type, name and id. The next page starts
/// right after it in the rows' order (types in /resource-kinds order, then name, then id), found
/// on the name index: O(log n + page) at any depth.
struct FleetCursor: Equatable, Sendable {
    var kind: ResourceKind
    var name: String
    var id: String

    var token: String { PageCursor.hex(JSONObject([JSONField("t", .string(kind.type)), JSONField("n", .string(name)), JSONField("i", .string(id))])) }

    init(kind: ResourceKind, name: String, id: String) {
        self.kind = kind
        self.name = name
        self.id = id
    }

    init(token: String) throws(Problem) {
        let o = try PageCursor.object(hex: token)
        guard case .string(let type)? = o["t"], let kind = ResourceKind.all.first(where: { $0.type == type }), case .string(let name)? = o["n"],
            case .string(let id)? = o["i"], o.count == 3
        else { throw .badParameter("cursor", "is not a cursor this API issued for GET /availability") }
        self.init(kind: kind, name: name, id: id)
    }
}
