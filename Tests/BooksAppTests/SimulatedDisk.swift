import HTTPServer
import TestSupport

@testable import BooksApp

/// A disk in memory that behaves like a real one at a power cut (issue 15 §4), after SQLite's
/// crash-test VFS: written data is only volatile until its file is fdatasynced, and creations,
/// renames and unlinks only until their directory is fsynced. `crash` returns what the platters
/// hold, choosing per file, from a seeded generator, to drop every unsynced write, keep a prefix of
/// them with the last torn at a random byte (its front part kept, or only its back part with zeros
/// before it), or keep a random subset (writes reordered); and per directory to forget its unsynced
/// changes or keep a prefix of them. After `crash`, every call on this disk fails, as on a machine
/// that lost power, so the old store's threads cannot touch the image.
/// One file's bytes: what is on the platters, and what the page cache holds.
private final class Inode {
    var durable: [UInt8] = []
    var current: [UInt8] = []
    /// Appends since the last sync, with their offsets, in order.
    var unsynced: [(offset: Int, bytes: [UInt8])] = []
    /// A truncation since the last sync (it is metadata: lost at a crash unless synced).
    var truncatedSinceSync = false
}

final class SimulatedDisk: StoreDisk, @unchecked Sendable {  // all state is behind `lock`
    private enum DirectoryChange {
        case link(String, Inode)
        case unlink(String)
        case rename(String, String, Inode)
    }

    private let lock = NSLockish()
    private var durableNames: [String: Inode] = [:]
    private var names: [String: Inode] = [:]
    private var unsyncedChanges: [DirectoryChange] = []
    private var lost = false
    /// Counts of what happened, for the test's figures.
    private(set) var syncs = 0
    /// A crash point: the power goes as operation number `crashAt` begins (every append, sync,
    /// truncate, create, rename, unlink and directory sync counts), so a crash can land between
    /// any two steps of a protocol, such as a rename and the create that follows it.
    private var crashAt: Int?
    private var operations = 0
    private var crashGenerator = SeededGenerator(seed: 0)
    private var crashImage: SimulatedDisk?

    init() {}

    private init(image: [String: [UInt8]]) {
        for (name, bytes) in image {
            let inode = Inode()
            inode.durable = bytes
            inode.current = bytes
            durableNames[name] = inode
            names[name] = inode
        }
    }

    private func alive() throws(StoreError) { if lost { throw .unavailable("the simulated disk lost power") } }

    /// Counts an operation, cutting the power if it is the chosen one. Call under `lock`.
    private func step() throws(StoreError) {
        try alive()
        operations += 1
        if let crashAt, operations >= crashAt {
            crashImage = cutPower(&crashGenerator)
            throw .unavailable("the simulated disk lost power")
        }
    }

    /// Arms a crash at operation `operation` from now, its image chosen by a generator of `seed`.
    func crash(atOperation operation: Int, seed: UInt64) {
        lock.with {
            crashAt = operations + operation
            crashGenerator = SeededGenerator(seed: seed)
        }
    }

    /// The image left by an armed crash, once it has happened.
    var imageAfterCrash: SimulatedDisk? { lock.with { crashImage } }

    func read(_ path: String) throws(StoreError) -> [UInt8]? {
        try lock.with { () throws(StoreError) -> [UInt8]? in
            try alive()
            return names[path]?.current
        }
    }

    func list(_ directory: String) throws(StoreError) -> Set<String> {
        try lock.with { () throws(StoreError) -> Set<String> in
            try alive()
            return Set(names.keys.filter { $0.hasPrefix(directory + "/") }.map { String($0.dropFirst(directory.count + 1)) })
        }
    }

    func create(_ path: String, _ bytes: [UInt8]) throws(StoreError) -> StoreFile {
        try lock.with { () throws(StoreError) -> StoreFile in
            try step()
            guard names[path] == nil else { throw .unavailable("create \(path): File exists") }
            let inode = Inode()
            inode.current = bytes
            inode.durable = bytes  // created with its contents fdatasynced; the name is not durable yet
            names[path] = inode
            unsyncedChanges.append(.link(path, inode))
            return SimulatedFile(disk: self, inode: inode)
        }
    }

    func openForAppend(_ path: String) throws(StoreError) -> StoreFile {
        try lock.with { () throws(StoreError) -> StoreFile in
            try step()
            guard let inode = names[path] else { throw .unavailable("open \(path): No such file") }
            return SimulatedFile(disk: self, inode: inode)
        }
    }

    func writeWhole(_ path: String, _ bytes: [UInt8]) throws(StoreError) {
        try lock.with { () throws(StoreError) in
            try step()
            let inode = Inode()
            inode.current = bytes
            inode.durable = bytes  // written then fsynced
            names[path] = inode
            unsyncedChanges.append(.link(path, inode))
        }
    }

    func rename(_ from: String, _ to: String) throws(StoreError) {
        try lock.with { () throws(StoreError) in
            try step()
            guard let inode = names.removeValue(forKey: from) else { throw .unavailable("rename \(from): No such file") }
            names[to] = inode
            unsyncedChanges.append(.rename(from, to, inode))  // atomic, as on ext4: a crash keeps it whole or not at all
        }
    }

    func unlink(_ path: String) {
        lock.with {
            guard (try? step()) != nil, names.removeValue(forKey: path) != nil else { return }
            unsyncedChanges.append(.unlink(path))
        }
    }

    func syncDirectory(_ path: String) {
        lock.with {
            guard (try? step()) != nil else { return }
            durableNames = names
            unsyncedChanges.removeAll()
        }
    }

    fileprivate func append(_ inode: Inode, _ bytes: [UInt8]) throws(StoreError) {
        try lock.with { () throws(StoreError) in
            try step()
            inode.unsynced.append((inode.current.count, bytes))
            inode.current += bytes
        }
    }

    fileprivate func sync(_ inode: Inode) throws(StoreError) {
        try lock.with { () throws(StoreError) in
            try step()
            inode.durable = inode.current
            inode.unsynced.removeAll()
            inode.truncatedSinceSync = false
            syncs += 1
        }
    }

    fileprivate func truncate(_ inode: Inode, _ size: Int) throws(StoreError) {
        try lock.with { () throws(StoreError) in
            try step()
            inode.current = Array(inode.current.prefix(size))
            inode.unsynced.removeAll { $0.offset >= size }
            inode.truncatedSinceSync = true
        }
    }

    /// Cuts the power now: this disk fails from now on; the returned one holds what survived.
    func crash(_ rng: inout SeededGenerator) -> SimulatedDisk {
        lock.with { crashImage ?? cutPower(&rng) }
    }

    /// Call under `lock`.
    private func cutPower(_ rng: inout SeededGenerator) -> SimulatedDisk {
        if let crashImage { return crashImage }
        lost = true
        do {
            // The directory: its durable names, plus a prefix of the unsynced changes.
            var linked = durableNames
            for change in unsyncedChanges.prefix(Int.random(in: 0...unsyncedChanges.count, using: &rng)) {
                switch change {
                case .link(let name, let inode): linked[name] = inode
                case .unlink(let name): linked[name] = nil
                case .rename(let from, let to, let inode):
                    linked[from] = nil
                    linked[to] = inode
                }
            }
            var image: [String: [UInt8]] = [:]
            for (name, inode) in linked { image[name] = Self.survivor(inode, &rng) }
            return SimulatedDisk(image: image)
        }
    }

    /// What of one file's unsynced writes reached the platters.
    private static func survivor(_ inode: Inode, _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = inode.truncatedSinceSync ? inode.current : inode.durable
        let writes = inode.unsynced
        guard !writes.isEmpty else { return bytes }
        func put(_ w: (offset: Int, bytes: [UInt8]), _ range: Range<Int>) {
            let end = w.offset + range.upperBound
            if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
            for i in range { bytes[w.offset + i] = w.bytes[i] }
        }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            break  // every unsynced write lost
        case 1, 2:
            // A prefix, the last of them torn: its front part kept, or only its back part (zeros before).
            let count = Int.random(in: 1...writes.count, using: &rng)
            for w in writes.prefix(count - 1) { put(w, 0..<w.bytes.count) }
            let last = writes[count - 1]
            let cut = Int.random(in: 0...last.bytes.count, using: &rng)
            if Bool.random(using: &rng) { put(last, 0..<cut) } else { put(last, cut..<last.bytes.count) }
        default:
            for w in writes where Bool.random(using: &rng) { put(w, 0..<w.bytes.count) }  // reordered: any subset
        }
        return bytes
    }
}

private final class SimulatedFile: StoreFile, @unchecked Sendable {
    private let disk: SimulatedDisk
    private let inode: Inode

    init(disk: SimulatedDisk, inode: Inode) {
        self.disk = disk
        self.inode = inode
    }

    func append(_ bytes: [UInt8]) throws(StoreError) { try disk.append(inode, bytes) }
    func sync() throws(StoreError) { try disk.sync(inode) }
    func truncate(_ size: Int) throws(StoreError) { try disk.truncate(inode, size) }
    func close() {}
}
