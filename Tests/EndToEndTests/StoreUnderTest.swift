import Foundation
import TestSupport

/// Which store an end-to-end suite runs against:
/// - the embedded store (the default);
/// - with `E2E_STORE=mongo`, MongoStore through MongoBridge and libmongoc, against the project's
///   MongoDB wire-protocol test server, which the suite starts and stops itself;
/// - with `E2E_MONGODB_URL=mongodb://...`, that MongoDB (a real server or replica set).
final class StoreUnderTest: @unchecked Sendable {  // set once in init
    let server: ServerProcess
    let mongo: MongoTestServer?

    static var onMongo: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["E2E_STORE"] == "mongo" || environment["E2E_MONGODB_URL"] != nil
    }

    init(environment extra: [String: String] = [:]) throws {
        var environment = extra
        var mongo: MongoTestServer?
        if let url = ProcessInfo.processInfo.environment["E2E_MONGODB_URL"] {
            environment["MONGODB_URL"] = url
        } else if Self.onMongo {
            mongo = try MongoTestServer()
            environment["MONGODB_URL"] = mongo!.url
        }
        server = try ServerProcess(environment: environment)
        if environment["MONGODB_URL"] != nil {
            let seed = try ServerProcess(environment: environment, arguments: ["seed", "--replace"], waitForListening: false)
            guard seed.waitForExit() == 0 else { throw ServerProcess.StartError.exited("seeding MongoDB failed: \(seed.log)") }
        }
        self.mongo = mongo
    }

    /// Stops the server (returning its exit status) and the test MongoDB.
    @discardableResult
    func stop() -> Int32 {
        let status = server.stop()
        mongo?.stop()
        return status
    }
}
