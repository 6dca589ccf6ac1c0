/// The route template of a request path, as a small index for metrics. It reads the path's bytes
/// without decoding or allocating; ids never become labels, so the series stay few.
enum RouteLabel {
    static let fixed = ["/books", "/books/{id}", "/healthz", "/readyz", "/openapi.json", "/metrics"]
    /// Per resource kind: the list, one resource, its allocations, one allocation.
    static let all: [String] = fixed + ResourceKind.all.flatMap { kind in
        ["/\(kind.collection)", "/\(kind.collection)/{id}", "/\(kind.collection)/{id}/allocations", "/\(kind.collection)/{id}/allocations/{allocation_id}"]
    } + ["(other)"]
    static let other = all.count - 1

    static func index(of path: String) -> Int {
        var path = path
        return path.withUTF8 { index(of: $0) }
    }

    private static let singles: [(name: [UInt8], index: Int)] = [("healthz", 2), ("readyz", 3), ("openapi.json", 4), ("metrics", 5)].map { (Array($0.0.utf8), $0.1) }
    private static let kinds: [[UInt8]] = ResourceKind.all.map { Array($0.collection.utf8) }
    private static let books = Array("books".utf8), allocations = Array("allocations".utf8)

    static func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard bytes.first == UInt8(ascii: "/") else { return other }
        // The offsets of the first five slashes; a path with more is never a route.
        var slashes: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)
        var count = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "/") {
            switch count {
            case 0: slashes.0 = i
            case 1: slashes.1 = i
            case 2: slashes.2 = i
            case 3: slashes.3 = i
            case 4: slashes.4 = i
            default: return other
            }
            count += 1
        }
        func slash(_ n: Int) -> Int {
            switch n { case 0: slashes.0; case 1: slashes.1; case 2: slashes.2; case 3: slashes.3; default: slashes.4 }
        }
        func segment(_ n: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes[(slash(n) + 1)..<(n + 1 < count ? slash(n + 1) : bytes.count)])
        }
        let first = segment(0)
        if first.elementsEqual(books) {
            if count == 1 { return 0 }
            return count == 2 && !segment(1).isEmpty ? 1 : other
        }
        for single in singles where first.elementsEqual(single.name) { return count == 1 ? single.index : other }
        for (k, kind) in kinds.enumerated() where first.elementsEqual(kind) {
            let base = fixed.count + 4 * k
            if count == 1 { return base }
            guard !segment(1).isEmpty else { return other }
            if count == 2 { return base + 1 }
            guard segment(2).elementsEqual(allocations) else { return other }
            if count == 3 { return base + 2 }
            return count == 4 && !segment(3).isEmpty ? base + 3 : other
        }
        return other
    }
}
