/// A parsed query string: decoded names and values, plus the raw pair text to rebuild links from.
struct QueryString {
    struct Parameter {
        var name: String
        var value: String
        var raw: Substring
    }

    private(set) var parameters: [Parameter] = []

    /// Parses `a=1&b=two+words`. `+` is a space, as HTML forms and Flask have it.
    init(_ query: String?) throws(Problem) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], what: "query parameter name")
            let value = try Self.decode(parts.count > 1 ? parts[1] : "", what: "query parameter \(name)")
            parameters.append(Parameter(name: name, value: value, raw: pair))
        }
    }

    /// The single value of `name`; giving a parameter twice is an error, since which one wins would be a guess.
    func value(_ name: String) throws(Problem) -> String? {
        var found: String?
        for p in parameters where p.name == name {
            if found != nil { throw Problem.badParameter(name, "is given more than once") }
            found = p.value
        }
        return found
    }

    /// The raw pairs other than `excluded`, for building Link URLs that keep the client's filters.
    func rawPairs(excluding excluded: Set<String>) -> [Substring] {
        parameters.filter { !excluded.contains($0.name) }.map(\.raw)
    }

    /// Percent-decoding (RFC 3986 §2.1); the result must be UTF-8.
    static func decode(_ text: Substring, what: String, plusIsSpace: Bool = true) throws(Problem) -> String {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "%")) || (plusIsSpace && utf8.contains(UInt8(ascii: "+"))) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "%") {
                let h1 = utf8.index(after: i)
                guard h1 != utf8.endIndex, let high = hex(utf8[h1]) else { throw Problem(400, "\(what) has an invalid percent-encoding") }
                let h2 = utf8.index(after: h1)
                guard h2 != utf8.endIndex, let low = hex(utf8[h2]) else { throw Problem(400, "\(what) has an invalid percent-encoding") }
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

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
