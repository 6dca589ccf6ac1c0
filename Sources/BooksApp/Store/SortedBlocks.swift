/// A sorted sequence kept as a list of small sorted blocks, so an insert or a removal moves at
/// most one block's elements (O(√n)-like in practice) instead of the whole array, while reading a
/// page from any offset stays cheap. One per sort order of the books.
struct SortedBlocks<Element: AnyObject> {
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

    /// Removes this very element (found by its position in the order, then by identity).
    mutating func remove(_ element: Element, by precedes: (Element, Element) -> Bool) {
        guard !blocks.isEmpty else { return }
        let b = blockIndex(for: element, by: precedes)
        let i = Self.insertionPoint(element, in: blocks[b], by: precedes)
        guard i < blocks[b].count, blocks[b][i] === element else { return }
        blocks[b].remove(at: i)
        count -= 1
        if blocks[b].isEmpty { blocks.remove(at: b) }
    }

    /// Visits positions `range` (ascending), or the same positions counted from the end.
    func forEach(in range: Range<Int>, reversed: Bool, _ body: (Element) -> Void) {
        guard !range.isEmpty else { return }
        if reversed {
            let mirrored = (count - range.upperBound)..<(count - range.lowerBound)
            var collected: [Element] = []
            collected.reserveCapacity(range.count)
            forEach(in: mirrored, reversed: false) { collected.append($0) }
            collected.reversed().forEach(body)
            return
        }
        var skip = range.lowerBound, remaining = range.count
        for block in blocks {
            if skip >= block.count { skip -= block.count; continue }
            for element in block[skip...] {
                body(element)
                remaining -= 1
                if remaining == 0 { return }
            }
            skip = 0
        }
    }

    /// Every element in order (or in reverse order).
    func forEach(reversed: Bool, _ body: (Element) -> Void) {
        if reversed {
            for block in blocks.reversed() { for element in block.reversed() { body(element) } }
        } else {
            for block in blocks { for element in block { body(element) } }
        }
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
