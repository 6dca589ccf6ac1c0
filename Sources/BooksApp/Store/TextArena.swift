import CSystemShims

/// Every book's lowercase title and author, back to back in one byte array, so a substring
/// search (`q`) is a single `memmem` pass over contiguous memory instead of a million string
/// comparisons. An entry is `title 0xFF author 0xFF`: 0xFF never occurs in UTF-8, so a needle
/// (valid UTF-8) cannot match across the two fields or across books.
///
/// Entries are appended; an updated or deleted book leaves its old entry behind as garbage,
/// which the table reclaims by rebuilding the arena once garbage outweighs the live text.
struct TextArena {
    private(set) var bytes: [UInt8] = []
    /// Entry starts, ascending, and the row each entry was written for.
    private var starts: [UInt32] = []
    private var owners: [Int32] = []
    private(set) var garbage = 0

    static let separator: UInt8 = 0xFF

    var liveBytes: Int { bytes.count - garbage }

    /// Appends a book's text; returns where it starts and its length (the row keeps both, to
    /// recognise its entry and to search it alone).
    mutating func append(title: [UInt8], author: [UInt8], row: Int32) -> (start: UInt32, count: UInt32) {
        let start = UInt32(bytes.count)
        starts.append(start)
        owners.append(row)
        bytes.append(contentsOf: title)
        bytes.append(Self.separator)
        bytes.append(contentsOf: author)
        bytes.append(Self.separator)
        return (start, UInt32(bytes.count) - start)
    }

    /// Lowercase UTF-8, as `String.lowercased()` gives it, with a fast path for ASCII.
    static func lowercase(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        if bytes.allSatisfy({ $0 < 0x80 }) { return bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }
        return Array(String(decoding: bytes, as: UTF8.self).lowercased().utf8)
    }

    /// Marks an entry as garbage.
    mutating func retire(count: UInt32) { garbage += Int(count) }

    /// Whether one entry contains `needle`: for a few candidate rows, cheaper than a full pass.
    func entry(start: UInt32, count: UInt32, contains needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        return bytes.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { shim_memmem(hay.baseAddress! + Int(start), Int(count), $0.baseAddress!, $0.count) != nil }
        }
    }

    /// Calls `found` once for each row whose live entry contains `needle`; `isLive(row, start)`
    /// tells a book's current entry from a stale one.
    func search(_ needle: [UInt8], isLive: (Int32, UInt32) -> Bool, _ found: (Int32) -> Void) {
        guard !needle.isEmpty, !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                var position = 0
                while position < hay.count {
                    guard let hit = shim_memmem(hay.baseAddress! + position, hay.count - position, pin.baseAddress!, pin.count) else { return }
                    let offset = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - hay.baseAddress!
                    let k = entryIndex(containing: offset)
                    if isLive(owners[k], starts[k]) { found(owners[k]) }
                    position = entryEnd(k)  // one match per book is enough
                }
            }
        }
    }

    /// The entry whose bytes include `offset`: the last start at or before it.
    private func entryIndex(containing offset: Int) -> Int {
        var low = 0, high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if Int(starts[mid]) <= offset { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }

    private func entryEnd(_ k: Int) -> Int { k + 1 < starts.count ? Int(starts[k + 1]) : bytes.count }
}
