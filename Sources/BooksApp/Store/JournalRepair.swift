import Glibc
import HTTPServer

/// `BooksAPI repair`: keeps a copy of a damaged journal, then cuts it at the first bad record,
/// losing what came after it. Only ever run by hand, after reading the start-up error.
enum JournalRepair {
    static func run(path: String, disk: StoreDisk = RealDisk()) throws(StoreError) -> String {
        guard let contents = try disk.read(path) else { throw .unavailable("cannot open \(path): it does not exist") }
        let scan = JournalFormat.scan(contents)
        guard scan.corruptionOffset != nil || scan.validLength < contents.count else { return "\(path) is intact (\(scan.records.count) records); nothing to repair" }
        let backup = path + ".damaged-\(time(nil))"
        try disk.writeWhole(backup, contents)
        let keep = max(scan.validLength, JournalFormat.headerSize)
        let file = try disk.openForAppend(path)
        defer { file.close() }
        if scan.validLength < JournalFormat.headerSize {
            try file.truncate(0)
            try file.append(contents.starts(with: JournalFormat.legacyMagic) ? JournalFormat.legacyMagic : JournalFormat.magic)
        } else {
            try file.truncate(keep)
        }
        try file.sync()
        return "kept \(scan.records.count) records, dropped \(contents.count - keep) bytes from byte \(keep); the damaged journal is saved as \(backup)"
    }
}
