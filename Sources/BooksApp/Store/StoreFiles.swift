/// The embedded store's files, and how any state a crash can leave them in is opened.
///
/// Files: `books.snapshot` (the whole store as of the start of generation S), the live journal
/// `books.journal` (generation L), at most one archived journal `books.journal.G` during a
/// compaction, `books.snapshot.tmp` while a snapshot is written, `LOCK`, and side files
/// (`books.journal.torn-*`, `books.journal.damaged-*`). Compaction moves through these states:
///
/// | step | files after it | opened as |
/// |---|---|---|
/// | 0 | snapshot S (or none, S = 0), journal L = S | snapshot + journal |
/// | 1 rename journal → journal.S | snapshot S, journal.S | snapshot + journal.S; a new journal S+1 |
/// | 2 create journal | snapshot S, journal.S, journal S+1 | snapshot + journal.S + journal |
/// | 3 write snapshot.tmp | as 2, plus an incomplete .tmp | as 2; the .tmp is deleted |
/// | 4 rename .tmp → snapshot | snapshot S+1, journal.S, journal S+1 | snapshot + journal; journal.S is stale (G < S), deleted |
/// | 5 delete journal.S | snapshot S+1, journal S+1 | step 0 of the next round |
///
/// The journal's generation is never ambiguous: it is one more than the newest archived journal
/// still needed, or else the snapshot's; a journal that follows a snapshot also names its
/// generation in its first record, which is checked. Anything else (a snapshot with no journal for
/// its generation, a gap between generations, files this version does not know) is refused with
/// a message, and a store is new only when its directory holds nothing but `LOCK`.
enum StoreFiles {
    static let journal = "books.journal"
    static let snapshot = "books.snapshot"
    static let snapshotTemporary = "books.snapshot.tmp"
    static let legacyCompaction = "books.journal.compact"  // version 1's compaction temporary
    static let lock = "LOCK"

    static func archived(_ generation: UInt64) -> String { journal + "." + String(generation) }

    /// What opening a directory found.
    struct Recovered {
        var state: StoreState
        var journal: Journal
        var generation: UInt64
        var isNew: Bool
        /// Lines for the log: cuts made, stale files removed.
        var notes: [String]
        /// True when the live journal is version 1, or archived journals are still needed: a
        /// compaction should run at once, so the next start loads a snapshot instead.
        var needsCompaction: Bool
    }

    static func open(directory: String, disk: StoreDisk) throws(StoreError) -> Recovered {
        var names = try disk.list(directory)
        var notes: [String] = []
        for temporary in [snapshotTemporary, legacyCompaction] where names.contains(temporary) {
            disk.unlink(directory + "/" + temporary)  // never renamed into place, so nothing relies on it
            names.remove(temporary)
            notes.append("removed \(temporary), left by a compaction that did not finish")
        }
        let archivedGenerations = names.compactMap { name -> UInt64? in
            guard name.hasPrefix(journal + "."), let g = UInt64(name.dropFirst(journal.count + 1)), archived(g) == name else { return nil }
            return g
        }.sorted()
        let hasJournal = names.contains(journal), hasSnapshot = names.contains(snapshot)
        let storeFiles = names.subtracting([lock, "lost+found"])
        if !hasJournal && !hasSnapshot && archivedGenerations.isEmpty {
            guard storeFiles.isEmpty else {
                throw .corrupt(
                    "DATA_DIR \(directory) has no journal but holds \(storeFiles.sorted().joined(separator: ", ")); refusing to start a new store over them (move them away, or restore the journal)"
                )
            }
            return Recovered(
                state: StoreState(), journal: try Journal.create(directory: directory, generation: 0, disk: disk), generation: 0, isNew: true, notes: notes, needsCompaction: false)
        }
        var state = StoreState()
        var base: UInt64 = 0
        if hasSnapshot {
            let bytes = try disk.read(directory + "/" + snapshot) ?? []
            do throws(StoreError) {
                (base, state) = try SnapshotFormat.decode(bytes)
            } catch {
                throw .corrupt("\(directory)/\(snapshot) cannot be loaded (\(error)); it is the store's base, so the server will not start without it. Restore it from a backup")
            }
        }
        for g in archivedGenerations where g < base {
            disk.unlink(directory + "/" + archived(g))  // step 4: already inside the snapshot
            notes.append("removed \(archived(g)), which the snapshot of generation \(base) already holds")
        }
        let needed = archivedGenerations.filter { $0 >= base }
        for (i, g) in needed.enumerated() where g != base + UInt64(i) {
            throw .corrupt("\(directory) holds \(archived(g)) but not the journal of generation \(base + UInt64(i)); refusing to open with writes missing")
        }
        for g in needed {
            let bytes = try disk.read(directory + "/" + archived(g)) ?? []
            let scan = JournalFormat.scan(bytes)
            guard scan.corruptionOffset == nil, scan.validLength == bytes.count else {
                throw .corrupt(
                    "\(archived(g)) is damaged at byte \(scan.corruptionOffset ?? scan.validLength), but an archived journal was complete and synced when archived; restore it from a backup"
                )
            }
            try checkGeneration(scan, expected: g, name: archived(g))
            try state.replay(scan.records)
        }
        let liveGeneration = needed.last.map { $0 + 1 } ?? base
        guard hasJournal else {
            guard !needed.isEmpty else {
                throw .corrupt(
                    "\(directory) has \(snapshot) (generation \(base)) but no \(journal); writes made after the snapshot would be missing, so the server refuses to open. Restore the journal"
                )
            }
            // Step 1: the journal was archived and its successor never created.
            notes.append("created \(journal) for generation \(liveGeneration): a compaction stopped after archiving the previous one")
            return Recovered(
                state: state, journal: try Journal.create(directory: directory, generation: liveGeneration, disk: disk), generation: liveGeneration, isNew: false,
                notes: notes, needsCompaction: true)
        }
        let opened = try Journal.open(directory: directory, disk: disk)
        if let cut = opened.cut {
            notes.append(
                "journal: cut a torn tail at bytes \(cut.range.lowerBound)..<\(cut.range.upperBound) (no acknowledged write can be in it); the bytes are kept in \(cut.savedAs)")
        }
        try checkGeneration(opened.scan, expected: liveGeneration, name: journal)
        try state.replay(opened.scan.records)
        if opened.scan.isLegacy { notes.append("converting the version 1 journal: compacting into a snapshot and a version 2 journal") }
        return Recovered(
            state: state, journal: opened.journal, generation: liveGeneration, isNew: false, notes: notes, needsCompaction: opened.scan.isLegacy || !needed.isEmpty)
    }

    private static func checkGeneration(_ scan: JournalFormat.Scan, expected: UInt64, name: String) throws(StoreError) {
        let declared = scan.generation ?? 0
        guard declared == expected else {
            throw .corrupt(
                "\(name) belongs to generation \(declared), but the files around it make it generation \(expected): a snapshot or journal is missing. Restore the missing file")
        }
    }

    /// Deletes archived journals older than `generation`, once its snapshot is in place.
    static func removeArchived(before generation: UInt64, directory: String, disk: StoreDisk) {
        guard let names = try? disk.list(directory) else { return }
        for name in names where name.hasPrefix(journal + ".") {
            if let g = UInt64(name.dropFirst(journal.count + 1)), archived(g) == name, g < generation { disk.unlink(directory + "/" + name) }
        }
        disk.syncDirectory(directory)
    }
}
