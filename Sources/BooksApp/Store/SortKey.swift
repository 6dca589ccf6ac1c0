import JSON

/// A field value as MongoDB orders it (missing/null < numbers < strings < booleans; strings by
/// UTF-8 bytes), so both stores return pages in the same order.
enum SortKey: Comparable {
    case missing
    case number(Double)
    case string([UInt8])
    case bool(Bool)

    init(_ value: JSONValue?) {
        switch value {
        case .int(let i)?: self = .number(Double(i))
        case .double(let d)?: self = .number(d)
        case .string(let s)?: self = .string(Array(s.utf8))
        case .bool(let b)?: self = .bool(b)
        default: self = .missing  // null, absent, and (unsortable here) arrays and objects
        }
    }

    private var rank: Int {
        switch self {
        case .missing: return 0
        case .number: return 1
        case .string: return 2
        case .bool: return 3
        }
    }

    static func < (a: SortKey, b: SortKey) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x < y
        case (.string(let x), .string(let y)): return x.lexicographicallyPrecedes(y)
        case (.bool(let x), .bool(let y)): return !x && y
        default: return a.rank < b.rank
        }
    }
}
