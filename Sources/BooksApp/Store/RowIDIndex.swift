/// Book id → row, as an open-addressing hash table of 4-byte row numbers whose keys live in the
/// rows themselves: a million books cost 8 MB here instead of a String and a dictionary entry each.
/// The hash is seeded per process, so a seed file with chosen ids cannot aim at one chain.
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

    private static let seed = UInt64.random(in: .min ... .max)

    /// 8 bytes at a time, multiply and fold (as in wyhash), with a final avalanche: a few
    /// nanoseconds for an id, where the standard `Hasher` costs its seeding on every call.
    private static func hash(_ key: ArraySlice<UInt8>) -> Int {
        var h = seed ^ UInt64(key.count) &* 0x9E37_79B9_7F4A_7C15
        key.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                var word: UInt64 = 0
                let n = min(8, raw.count - i)
                for j in 0..<n { word |= UInt64(raw[i + j]) << (8 * UInt64(j)) }
                let m = (h ^ word).multipliedFullWidth(by: 0xBF58_476D_1CE4_E5B9)
                h = m.high ^ m.low
                i += n
            }
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }
}
