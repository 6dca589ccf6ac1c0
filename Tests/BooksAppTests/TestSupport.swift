import Glibc
import HTTPServer
import JSON

@testable import BooksApp

/// A fresh temporary directory per call, under /tmp.
func temporaryDirectory(_ name: String = "booksapi") -> String {
    var template = Array("/tmp/\(name)-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

func book(_ id: String, _ title: String, _ author: String, year: Int64? = nil, score: Int64 = -1, read: Bool = false) -> JSONObject {
    var b = JSONObject([JSONField("id", .string(id)), JSONField("title", .string(title)), JSONField("author", .string(author))])
    if let year { b["year"] = .int(year) }
    b["score"] = .int(score)
    b["read"] = .bool(read)
    return b
}

func ids(_ page: BookPage) -> [String] {
    page.items.map { (try? JSONParser.parse($0))?.objectValue?["id"]?.stringValue ?? "?" }
}

func readFile(_ path: String) -> [UInt8] { (try? FileBytes.read(path: path)) ?? [] }

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

/// A store whose every call fails with `error`: for tests that stop at parsing, and for the
/// instrumented store's mapping.
final class NoStore: BookStore, InventoryStore, @unchecked Sendable {
    static let instrumented = InstrumentedStore(NoStore(), metrics: StoreMetrics())
    let error: StoreError
    init(error: StoreError = .unavailable("no store")) { self.error = error }
    let readsAreNonBlocking = true
    func listBooks(_ query: BookQuery) throws(StoreError) -> BookPage { throw error }
    func book(id: String) throws(StoreError) -> [UInt8]? { throw error }
    func insertBook(_ book: JSONObject) throws(StoreError) { throw error }
    func insertBooks(_ books: [JSONObject]) throws(StoreError) -> BatchInsertOutcome { throw error }
    func updateBook(id: String, patch: BookPatch, precondition: (([UInt8]) -> Bool)?) throws(StoreError) -> UpdateOutcome { throw error }
    func deleteBook(id: String) throws(StoreError) -> Bool { throw error }
    func checkReady() throws(StoreError) { throw error }
    func seedBooks(_ books: [JSONObject], replace: Bool) throws(StoreError) -> Int { throw error }
    func listResources(_ kind: ResourceKind, _ query: ResourceQuery) throws(StoreError) -> (total: Int, items: [Resource]) { throw error }
    func resource(_ kind: ResourceKind, id: String) throws(StoreError) -> Resource? { throw error }
    func createResource(_ resource: Resource) throws(StoreError) { throw error }
    func updateResource(_ kind: ResourceKind, id: String, name: String?, turnaroundMinutes: Int?) throws(StoreError) -> Resource? { throw error }
    func deleteResource(_ kind: ResourceKind, id: String) throws(StoreError) -> Bool { throw error }
    func allocate(_ kind: ResourceKind, resourceID: String, _ allocation: Allocation, at now: Int64) throws(StoreError) -> AllocationOutcome { throw error }
    func allocateAll(_ kind: ResourceKind, resourceID: String, _ allocations: [Allocation], at now: Int64) throws(StoreError) -> AllocationOutcome { throw error }
    func changeAllocation(_ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, at now: Int64) throws(StoreError) -> AllocationChangeOutcome {
        throw error
    }
    func deleteAllocation(_ kind: ResourceKind, resourceID: String, allocationID: String) throws(StoreError) -> Bool? { throw error }
    func freeBusy(_ kinds: [ResourceKind], window: Interval, skip: Int, limit: Int, after: FleetCursor?, at now: Int64) throws(StoreError) -> FreeBusyPage {
        throw error
    }
    func moveAllocation(
        _ kind: ResourceKind, resourceID: String, expected: Allocation, to new: Allocation, target: (kind: ResourceKind, id: String), at now: Int64
    ) throws(StoreError) -> AllocationChangeOutcome { throw error }
    func allocations(of kind: ResourceKind, overlapping window: Interval) throws(StoreError) -> [(resource: Resource, allocations: [Allocation])] { throw error }
    func fileExpiredHolds(at now: Int64) throws(StoreError) -> Int { throw error }
    func resourcesForAssignment(_ kind: ResourceKind, window: Interval, freeDuring free: Interval?, at now: Int64) throws(StoreError) -> [Resource] { throw error }
}

/// The package root, found from this file's path.
enum URLPath {
    static var packageRoot: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }
}

/// A tiny mutex for tests, without Foundation.
final class NSLockish: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func with<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

final class Counter: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLockish()
    private var count = 0
    func increment() { lock.with { count += 1 } }
    var value: Int { lock.with { count } }
}
