import Glibc
import HTTPServer

/// The single-page app in STATIC_DIR, read once at start into memory (it is a prebuilt directory):
/// each file with its strong ETag, Last-Modified, Cache-Control and precompressed `.gz` sibling,
/// so answering never touches the disk and runs on the I/O thread. Files over `maxMemoryBytes`
/// are read from disk on the work pool, with the same headers.
final class StaticSite: Sendable {
    struct File: Sendable {
        let contentType: String
        let etag: String
        let lastModified: String
        let modifiedSeconds: Int
        let cacheControl: String
        /// nil for a large file, read from `diskPath` on demand.
        let body: [UInt8]?
        let gzip: [UInt8]?
        let diskPath: String
        let size: Int
    }

    static let maxMemoryBytes = 8 << 20
    let root: String
    let files: [String: File]

    /// nil when the directory does not exist (the server then serves the API only).
    init?(directory: String) {
        guard let resolved = realpath(directory, nil) else { return nil }
        root = String(cString: resolved)
        free(resolved)
        var files: [String: File] = [:]
        Self.walk(root, urlPrefix: "", root: root, into: &files)
        self.files = files
    }

    /// The file for a request path, or nil. Traversal of any kind finds nothing (404, never 403).
    func lookup(_ rawPath: String) -> File? {
        guard let decoded = try? QueryString.decode(Substring(rawPath), what: "path", plusIsSpace: false),
            !decoded.contains("\\"), !decoded.utf8.contains(0)
        else { return nil }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
        return files["/" + (segments.isEmpty ? "index.html" : segments.joined(separator: "/"))]
    }

    /// History fallback: an app route such as /inventory/cars (no file extension, no traversal)
    /// gets index.html; a missing asset such as /app.js stays 404.
    func fallback(for rawPath: String) -> File? {
        let segments = rawPath.split(separator: "/")
        guard let last = segments.last else { return files["/index.html"] }
        guard !last.contains("."), !rawPath.contains("%"), !rawPath.contains("\\"),
            !segments.contains(where: { $0 == ".." || $0 == "." })
        else { return nil }  // traversal is 404, never the app
        return files["/index.html"]
    }

    // MARK: loading

    private static func walk(_ directory: String, urlPrefix: String, root: String, into files: inout [String: File]) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." || name.hasPrefix(".") { continue }
            let path = directory + "/" + name
            // A symlink that leaves the root is not served; one that stays inside is.
            guard let real = realpath(path, nil) else { continue }
            let resolved = String(cString: real)
            free(real)
            guard resolved.hasPrefix(root + "/") else { continue }
            var info = stat()
            guard stat(resolved, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                walk(path, urlPrefix: urlPrefix + "/" + name, root: root, into: &files)
            } else if info.st_mode & S_IFMT == S_IFREG, !name.hasSuffix(".gz") {
                files[urlPrefix + "/" + name] = load(resolved, name: name, info: info)
            }
        }
    }

    private static func load(_ path: String, name: String, info: stat) -> File {
        let size = Int(info.st_size)
        let body = size <= maxMemoryBytes ? read(path) : nil
        var gzip: [UInt8]?
        var gzInfo = stat()
        if stat(path + ".gz", &gzInfo) == 0, Int(gzInfo.st_size) <= maxMemoryBytes, gzInfo.st_mtim.tv_sec >= info.st_mtim.tv_sec {
            gzip = read(path + ".gz")  // only a sibling at least as new as the file
        }
        let etag = body.map { ETag.of($0) } ?? "\"\(String(size, radix: 16))-\(String(info.st_mtim.tv_sec, radix: 16))\""
        return File(
            contentType: contentType(name), etag: etag,
            lastModified: String(decoding: HTTPDate.format(epochSeconds: info.st_mtim.tv_sec), as: UTF8.self),
            modifiedSeconds: info.st_mtim.tv_sec, cacheControl: cacheControl(name), body: body, gzip: gzip, diskPath: path, size: size)
    }

    /// Fingerprinted names (app.3f2a9c1e.js) never change: cache for a year. Everything else,
    /// index.html first of all, is revalidated with its ETag on each use.
    static func cacheControl(_ name: String) -> String {
        let parts = name.split(separator: ".")
        let fingerprinted =
            parts.count >= 3
            && parts.dropFirst().dropLast().contains { part in
                part.count >= 8 && part.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
            }
        return fingerprinted ? "public, max-age=31536000, immutable" : "no-cache"
    }

    static func read(_ path: String) -> [UInt8]? { try? FileBytes.read(path: path) }

    static func contentType(_ path: String) -> String {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "html", "htm": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "json", "map": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "ico": return "image/x-icon"
        case "woff2": return "font/woff2"
        case "woff": return "font/woff"
        case "txt": return "text/plain; charset=utf-8"
        case "webmanifest": return "application/manifest+json"
        default: return "application/octet-stream"
        }
    }
}
