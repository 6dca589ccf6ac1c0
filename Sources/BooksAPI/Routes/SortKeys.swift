/// `sortasc` and `sortdesc`: each names one field; given both, `sortasc` is the primary key and
/// `sortdesc` the secondary one (so ?sortasc=author&sortdesc=year lists each author's newest first).
enum SortKeys {
    static func parse<Field: RawRepresentable & CaseIterable>(_ p: QueryString, _ type: Field.Type) throws(Problem) -> [(field: Field, ascending: Bool)]
    where Field.RawValue == String, Field: Equatable {
        var keys: [(field: Field, ascending: Bool)] = []
        for (name, ascending) in [("sortasc", true), ("sortdesc", false)] {
            guard let value = try p.value(name) else { continue }
            guard let field = Field(rawValue: value) else {
                throw .badParameter(name, "names an unknown field \"\(value)\"; sortable: \(Field.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !keys.contains(where: { $0.field == field }) { keys.append((field, ascending)) }
        }
        return keys
    }
}
