/// `Prefer: count=exact | estimated | none` (RFC 7240, with PostgREST's names): how a list's
/// `X-Total-Count` is computed. `none` sends no count and no `rel="last"` link, so a page costs
/// only itself; `estimated` allows MongoDB's collection metadata count for an unfiltered list;
/// `exact` forces a count of every match.
enum CountPreference: String, Sendable, Equatable {
    case exact, estimated, none

    /// The `count` preference of a request, if it states one this server knows. RFC 7240 §2: a
    /// preference the server does not understand, or a malformed one, is ignored, not refused.
    static func of(_ header: String?) -> CountPreference? {
        guard let header else { return nil }
        for item in header.split(separator: ",") {
            // token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
            let preference = item.split(separator: ";", maxSplits: 1).first ?? ""
            let parts = preference.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, trim(parts[0]).lowercased() == "count" else { continue }
            var value = trim(parts[1])
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            if let known = CountPreference(rawValue: String(value)) { return known }
        }
        return nil
    }

    private static func trim(_ s: Substring) -> Substring {
        var t = s
        while let c = t.first, c == " " || c == "\t" { t = t.dropFirst() }
        while let c = t.last, c == " " || c == "\t" { t = t.dropLast() }
        return t
    }
}
