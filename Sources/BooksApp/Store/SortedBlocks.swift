/// A sorted sequence kept as a list of small sorted blocks, so an insert or a removal moves at
/// most one block's elements (O(√n)-like in practice) instead of the whole array, while reading a
/// page from any offset stays cheap. One per sort order of the books.
struct SortedBlocks<Element: Equatable> {
    static var maxBlock: Int { 512 }
    private var blocks: [[Element]] = []
    private(set) var count = 0

    /// `precedes(a, b)`: the strict order of the sequence.
    mutating func insert(_ element: Element, by precedes: (Element, Element) -> Bool) {
        guard !blocks.isEmpty else { blocks = [[element]]; count = 1; return }
        let b = blockIndex(for: element, by: precedes)
        let i = Self.insertionPoint(element, in: blocks[b], by: precedes)
        blocks[b].insert(element, at: i)
        count += 1
        if blocks[b].count > Self.maxBlock {
            let upper = Array(blocks[b][(Self.maxBlock / 2)...])
            blocks[b].removeSubrange((Self.maxBlock / 2)...)
            blocks.insert(upper, at: b + 1)
        }
    }

    /// Removes this very element (found by its position in the order, then by equality).
    mutating func remove(_ element: Element, by precedes: (Element, Element) -> Bool) {
        guard !blocks.isEmpty else { return }
        let b = blockIndex(for: element, by: precedes)
        let i = Self.insertionPoint(element, in: blocks[b], by: precedes)
        guard i < blocks[b].count, blocks[b][i] == element else { return }
        blocks[b].remove(at: i)
        count -= 1
        if blocks[b].isEmpty { blocks.remove(at: b) }
    }

    /// Builds from elements already in order, in full blocks of half the split size, so inserts
    /// after a bulk load split rarely.
    init(sorted elements: [Element]) {
        let size = Self.maxBlock / 2
        blocks.reserveCapacity(elements.count / size + 1)
        var start = 0
        while start < elements.count {
            let end = min(elements.count, start + size)
            blocks.append(Array(elements[start..<end]))
            start = end
        }
        count = elements.count
    }

    init() {}

    /// Every element in order, as one array (for snapshots).
    var elements: [Element] {
        var out: [Element] = []
        out.reserveCapacity(count)
        for block in blocks { out.append(contentsOf: block) }
        return out
    }

    /// Visits positions `range` of the order (or of the reversed order).
    func forEach(in range: Range<Int>, reversed: Bool, _ body: (Element) -> Void) {
        guard !range.isEmpty else { return }
        var remaining = range.count
        forEachWhile(from: range.lowerBound, reversed: reversed) { element in
            body(element)
            remaining -= 1
            return remaining > 0
        }
    }

    /// Every element in order (or in reverse order).
    func forEach(reversed: Bool, _ body: (Element) -> Void) {
        _ = forEachWhile(reversed: reversed) {
            body($0); return true
        }
    }

    /// Elements in order (or reversed) from position `start` of that order, until `body` returns
    /// false; false if it stopped early. Skipping to `start` costs one step per block.
    @discardableResult
    func forEachWhile(from start: Int = 0, reversed: Bool, _ body: (Element) -> Bool) -> Bool {
        var skip = start
        if reversed {
            for block in blocks.reversed() {
                if skip >= block.count { skip -= block.count; continue }
                for element in block[..<(block.count - skip)].reversed() where !body(element) { return false }
                skip = 0
            }
        } else {
            for block in blocks {
                if skip >= block.count { skip -= block.count; continue }
                for element in block[skip...] where !body(element) { return false }
                skip = 0
            }
        }
        return true
    }

    /// The element at forward position `position` (one step per block to find it).
    func element(at position: Int) -> Element {
        var skip = position
        for block in blocks {
            if skip < block.count { return block[skip] }
            skip -= block.count
        }
        preconditionFailure("position \(position) past the end (\(count))")
    }

    /// The first forward position whose element is not `isBefore`, for a predicate that holds
    /// for a prefix of the order and then never again: a binary search over blocks, then in one.
    func partitionPoint(_ isBefore: (Element) -> Bool) -> Int {
        var low = 0, high = blocks.count
        while low < high {
            let mid = (low + high) / 2
            if isBefore(blocks[mid][blocks[mid].count - 1]) { low = mid + 1 } else { high = mid }
        }
        var position = 0
        for b in 0..<low { position += blocks[b].count }
        guard low < blocks.count else { return position }
        let block = blocks[low]
        var i = 0, j = block.count
        while i < j {
            let mid = (i + j) / 2
            if isBefore(block[mid]) { i = mid + 1 } else { j = mid }
        }
        return position + i
    }

    /// The first block whose last element does not precede `element` (or the last block).
    private func blockIndex(for element: Element, by precedes: (Element, Element) -> Bool) -> Int {
        var low = 0, high = blocks.count - 1
        while low < high {
            let mid = (low + high) / 2
            if precedes(blocks[mid][blocks[mid].count - 1], element) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private static func insertionPoint(_ element: Element, in block: [Element], by precedes: (Element, Element) -> Bool) -> Int {
        var low = 0, high = block.count
        while low < high {
            let mid = (low + high) / 2
            if precedes(block[mid], element) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
