/// Book id → row, as an open-addressing hash table of 4-byte row numbers whose keys live in the
/// rows themselves: a million books cost 8 MB here instead of a String and a dictionary entry each.
/// Hashing uses the standard library's per-process seeded `Hasher`, so chosen ids cannot flood a chain.
struct RowIDIndex {
    private static let empty: Int32 = -1
    private static let deleted: Int32 = -2
    private var slots: [Int32]
    private(set) var count = 0
    private var tombstones = 0

    /// Room for `capacity` ids before the first rehash.
    init(capacity: Int = 8) {
        var size = 16
        while size * 7 < capacity * 10 { size *= 2 }
        slots = Array(repeating: Self.empty, count: size)
    }

    func find(_ key: ArraySlice<UInt8>, in rows: [BookRow], _ arena: [UInt8]) -> Int32? {
        var i = Self.hash(key) & (slots.count - 1)
        while true {
            let s = slots[i]
            if s == Self.empty { return nil }
            if s >= 0, arena[rows[Int(s)].range(rows[Int(s)].id)].elementsEqual(key) { return s }
            i = (i + 1) & (slots.count - 1)
        }
    }

    /// Adds `row`, whose id must not be present yet.
    mutating func insert(_ row: Int32, in rows: [BookRow], _ arena: [UInt8]) {
        if (count + tombstones + 1) * 10 > slots.count * 7 { rehash(capacity: count * 2 >= slots.count / 2 ? slots.count * 2 : slots.count, rows, arena) }
        var i = Self.hash(arena[rows[Int(row)].range(rows[Int(row)].id)]) & (slots.count - 1)
        while slots[i] >= 0 { i = (i + 1) & (slots.count - 1) }
        if slots[i] == Self.deleted { tombstones -= 1 }
        slots[i] = row
        count += 1
    }

    mutating func remove(_ row: Int32, in rows: [BookRow], _ arena: [UInt8]) {
        var i = Self.hash(arena[rows[Int(row)].range(rows[Int(row)].id)]) & (slots.count - 1)
        while slots[i] != Self.empty {
            if slots[i] == row {
                slots[i] = Self.deleted
                count -= 1
                tombstones += 1
                return
            }
            i = (i + 1) & (slots.count - 1)
        }
    }

    private mutating func rehash(capacity: Int, _ rows: [BookRow], _ arena: [UInt8]) {
        let old = slots
        slots = Array(repeating: Self.empty, count: capacity)
        count = 0
        tombstones = 0
        for s in old where s >= 0 {
            var i = Self.hash(arena[rows[Int(s)].range(rows[Int(s)].id)]) & (capacity - 1)
            while slots[i] != Self.empty { i = (i + 1) & (capacity - 1) }
            slots[i] = s
            count += 1
        }
    }

    private static func hash(_ key: ArraySlice<UInt8>) -> Int {
        var hasher = Hasher()
        key.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}
