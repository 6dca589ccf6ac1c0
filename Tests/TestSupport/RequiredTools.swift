import Foundation

/// Tools the tests need that `swift test` cannot build: without one, the run stops at once with
/// one line naming it and the script that installs it, instead of skipping or failing obscurely.
public enum RequiredTool {
    /// The project-local venv with pymongo and mongomock (the MongoDB wire-protocol test server).
    case testVenv
    /// Debian's nginx, for the test of deploy/nginx.
    case nginx

    var path: String {
        switch self {
        case .testVenv: return MongoTestServer.python
        case .nginx: return "/usr/sbin/nginx"
        }
    }

    var remedy: String {
        switch self {
        case .testVenv: return "\(path) is missing: run ./scripts/test (or scripts/test unit), which creates .venv from Tests/requirements.txt"
        case .nginx: return "nginx is not installed: run ./scripts/test (or scripts/test e2e), which installs Debian's nginx-light"
        }
    }

    public func require() {
        guard !FileManager.default.isExecutableFile(atPath: path) else { return }
        FileHandle.standardError.write(Data("error: \(remedy)\n".utf8))
        exit(1)
    }
}
