import Glibc
import HTTPServer

/// Files under STATIC_DIR, served at `/`. Any path that could leave the directory (`..`, an encoded
/// dot-dot, a backslash, NUL, or a symlink pointing outside) is answered 404, never 403, so that
/// probing reveals nothing. Reads happen on the work pool: a file read may block.
struct StaticFiles: Sendable {
    let root: String
    static let maxFileBytes = 32 << 20

    /// nil when the directory does not exist (the server then serves the API only).
    init?(directory: String) {
        guard let resolved = realpath(directory, nil) else { return nil }
        root = String(cString: resolved)
        free(resolved)
    }

    func response(for path: String) throws(Problem) -> HTTPResponse {
        let notFound = Problem(404, "no such resource: \(path)")
        let decoded = try QueryString.decode(Substring(path), what: "path", plusIsSpace: false)
        guard !decoded.contains("\\") else { throw notFound }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.contains(where: { $0 == ".." || $0 == "." }) else { throw notFound }
        let relative = segments.isEmpty ? "index.html" : segments.joined(separator: "/")
        guard let resolvedPointer = realpath(root + "/" + relative, nil) else { throw notFound }
        let resolved = String(cString: resolvedPointer)
        free(resolvedPointer)
        guard resolved.hasPrefix(root + "/") else { throw notFound }  // a symlink that leaves the root
        var info = stat()
        guard stat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= Self.maxFileBytes else { throw notFound }
        let fd = open(resolved, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw notFound }
        defer { close(fd) }
        var body = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < body.count {
            let n = body.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + offset, $0.count - offset, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Problem(500, "could not read \(relative)") }
            offset += n
        }
        return HTTPResponse(status: 200, contentType: Self.contentType(relative), body: body)
    }

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
