import ASCIIText

/// A parsed query string, kept as byte ranges into the query: a name or value becomes a String only
/// when a route asks for it, and Link headers copy the client's pairs as they came.
struct QueryString {
    private struct Pair {
        var name: Range<Int>
        var value: Range<Int>
        /// No `%` or `+`: the bytes are the decoded text.
        var plainName: Bool
        var plainValue: Bool
        var raw: Range<Int> { name.lowerBound..<value.upperBound }
    }

    private var bytes: [UInt8] = []
    private var pairs: [Pair] = []

    /// Parses `a=1&b=two+words`. `+` is a space, as HTML forms and Flask have it. Every name and
    /// value must decode (RFC 3986 §2.1) to UTF-8 without NUL, used or not.
    init(_ query: String?) throws(Problem) {
        guard let query, !query.isEmpty else { return }
        bytes = Array(query.utf8)
        let count = bytes.count
        var start = 0
        while start < count {
            var end = start
            while end < count, bytes[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                var equals = start
                while equals < end, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                let name = start..<equals, value = min(equals + 1, end)..<end
                let pair = Pair(name: name, value: value, plainName: isPlain(name), plainValue: isPlain(value))
                if !pair.plainName { _ = try Self.decode(bytes[name], what: "query parameter name") }
                if !pair.plainValue { _ = try Self.decode(bytes[value], what: "query parameter \(self.name(pair))") }
                pairs.append(pair)
            }
            start = end + 1
        }
    }

    private func isPlain(_ range: Range<Int>) -> Bool {
        for i in range where bytes[i] == UInt8(ascii: "%") || bytes[i] == UInt8(ascii: "+") { return false }
        return true
    }

    private func name(_ pair: Pair) -> String {
        pair.plainName
            ? String(decoding: bytes[pair.name], as: UTF8.self)
            : (try? Self.decode(bytes[pair.name], what: "")) ?? String(decoding: bytes[pair.name], as: UTF8.self)
    }

    private func has(_ pair: Pair, name: String) -> Bool {
        guard pair.plainName else { return self.name(pair) == name }
        // Lengths first: most names a route asks for are not in the query at all.
        guard pair.name.count == name.utf8.count else { return false }
        var i = pair.name.lowerBound
        for byte in name.utf8 {
            guard bytes[i] == byte else { return false }
            i += 1
        }
        return true
    }

    /// The single value of `name`; giving a parameter twice is an error, since which one wins would be a guess.
    func value(_ name: String) throws(Problem) -> String? {
        var found: Pair?
        for pair in pairs where has(pair, name: name) {
            if found != nil { throw Problem.badParameter(name, "is given more than once") }
            found = pair
        }
        guard let found else { return nil }
        if found.plainValue { return String(decoding: bytes[found.value], as: UTF8.self) }
        return try Self.decode(bytes[found.value], what: "query parameter \(name)")
    }

    /// Refuses a parameter the endpoint does not know: `?author[$ne]=x` or `?sortAsc=author`
    /// would otherwise answer everything, unfiltered or unsorted, as if it had been obeyed.
    func requireOnly(_ accepted: [String], endpoint: String) throws(Problem) {
        for pair in pairs where !accepted.contains(where: { has(pair, name: $0) }) {
            let name = String(self.name(pair).unicodeScalars.prefix(100))
            throw Problem(400, "unknown query parameter \"\(name)\"; \(endpoint) accepts \(accepted.joined(separator: ", "))")
        }
    }

    /// Appends the raw pairs other than `excluded`, each followed by `&`, for Link URLs that keep
    /// the client's filters. Bytes that would end or split a Link value (`<>";,`, RFC 8288 §3)
    /// or are not allowed in a URI at all (RFC 3986 §2) are percent-encoded on the way.
    func appendRawPairs(excluding excluded: [String], to out: inout [UInt8]) {
        for pair in pairs where !excluded.contains(where: { has(pair, name: $0) }) {
            for byte in bytes[pair.raw] {
                if Self.linkUnsafe[Int(byte)] {
                    out.append(UInt8(ascii: "%"))
                    out.append(ASCIIHex.uppercase[Int(byte >> 4)])
                    out.append(ASCIIHex.uppercase[Int(byte & 0xF)])
                } else {
                    out.append(byte)
                }
            }
            out.append(UInt8(ascii: "&"))
        }
    }

    private static let linkUnsafe: [Bool] = (0..<256).map { b in
        b <= 0x20 || b >= 0x7F || "<>\";,\\^`{|}".utf8.contains(UInt8(b))
    }

    /// Percent-decoding (RFC 3986 §2.1); the result must be UTF-8.
    static func decode(_ text: Substring, what: String, plusIsSpace: Bool = true) throws(Problem) -> String {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "%")) || (plusIsSpace && utf8.contains(UInt8(ascii: "+"))) else { return String(text) }
        return try decode(utf8, what: what, plusIsSpace: plusIsSpace)
    }

    static func decode<Bytes: Collection<UInt8>>(_ utf8: Bytes, what: String, plusIsSpace: Bool = true) throws(Problem) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "%") {
                let h1 = utf8.index(after: i)
                guard h1 != utf8.endIndex, let high = ASCIIHex.value(utf8[h1]) else { throw Problem(400, "\(what) has an invalid percent-encoding") }
                let h2 = utf8.index(after: h1)
                guard h2 != utf8.endIndex, let low = ASCIIHex.value(utf8[h2]) else { throw Problem(400, "\(what) has an invalid percent-encoding") }
                bytes.append(high << 4 | low)
                i = utf8.index(after: h2)
                continue
            }
            bytes.append(plusIsSpace && b == UInt8(ascii: "+") ? 0x20 : b)
            i = utf8.index(after: i)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw Problem(400, "\(what) is not valid UTF-8 once decoded") }
        if decoded.utf8.contains(0) { throw Problem(400, "\(what) contains a NUL byte") }
        return decoded
    }
}
