import Glibc
import HTTPServer

/// `BooksAPI repair`: keeps a copy of a damaged journal, then cuts it at the first bad record,
/// losing what came after it. Only ever run by hand, after reading the start-up error.
enum JournalRepair {
    static func run(path: String) throws(StoreError) -> String {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw .unavailable("cannot open \(path): \(SystemError("open"))") }
        defer { close(fd) }
        let contents = try Journal.readAll(fd, path: path)
        let scan = JournalFormat.scan(contents)
        guard scan.corruptionOffset != nil || scan.tornTail else { return "\(path) is intact (\(scan.records.count) records); nothing to repair" }
        let backup = path + ".damaged-\(time(nil))"
        let bfd = open(backup, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, DataDirectory.fileMode)
        guard bfd >= 0 else { throw .unavailable("cannot create backup \(backup): \(SystemError("open"))") }
        var copy = contents
        do throws(StoreError) {
            try Journal.writeAll(bfd, &copy, path: backup)
            guard fsync(bfd) == 0 else { throw Journal.ioError("fsync", backup) }
        } catch {
            close(bfd)
            throw error
        }
        close(bfd)
        let keep = max(scan.validLength, JournalFormat.headerSize)
        if scan.validLength < JournalFormat.headerSize {
            var header = JournalFormat.magic
            guard ftruncate(fd, 0) == 0 else { throw Journal.ioError("ftruncate", path) }
            try Journal.writeAll(fd, &header, path: path)
        } else {
            guard ftruncate(fd, off_t(keep)) == 0 else { throw Journal.ioError("ftruncate", path) }
        }
        guard fsync(fd) == 0 else { throw Journal.ioError("fsync", path) }
        return "kept \(scan.records.count) records, dropped \(contents.count - keep) bytes from byte \(keep); the damaged journal is saved as \(backup)"
    }
}
