import Foundation
import TestSupport
import XCTest

/// deploy/nginx/nginx.conf for real: Debian's nginx in front of two API processes on unix sockets,
/// which share one MongoDB (the wire-protocol test server). Only the listen port and the socket
/// directory are changed for the test; nginx's workers run as another user, hence UNIX_SOCKET_MODE.
final class NginxFrontTests: XCTestCase {
    func testNginxSpreadsRequestsOverStatelessInstances() throws {
        RequiredTool.nginx.require()
        let nginxBinary = "/usr/sbin/nginx"
        let dir = ServerProcess.temporaryDirectory()
        let mongo = try MongoTestServer()
        defer { mongo.stop() }
        let first = try ServerProcess(environment: ["MONGODB_URL": mongo.url, "UNIX_SOCKET": dir + "/api1.sock", "UNIX_SOCKET_MODE": "666"])
        let second = try ServerProcess(environment: ["MONGODB_URL": mongo.url, "UNIX_SOCKET": dir + "/api2.sock", "UNIX_SOCKET_MODE": "666"])
        defer { first.stop(); second.stop() }

        let deploy = ServerProcess.packageRoot + "/deploy/nginx/"
        let probe = try MongoTestServer()  // a free port for nginx
        let port = probe.port
        probe.stop()
        let config = try String(contentsOfFile: deploy + "nginx.conf", encoding: .utf8).replacingOccurrences(of: "listen 8080;", with: "listen 127.0.0.1:\(port);")
        let upstream = try String(contentsOfFile: deploy + "upstream-unix.conf", encoding: .utf8).replacingOccurrences(of: "/run/booksapi", with: dir)
        XCTAssertNotEqual(config, try String(contentsOfFile: deploy + "nginx.conf", encoding: .utf8), "the listen directive moved")
        try config.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        try upstream.write(toFile: dir + "/upstream.conf", atomically: true, encoding: .utf8)

        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: nginxBinary)
        nginx.arguments = ["-p", dir, "-c", dir + "/nginx.conf", "-g", "daemon off;"]
        let nginxOutput = Pipe()
        nginx.standardOutput = nginxOutput
        nginx.standardError = nginxOutput
        try nginx.run()
        defer { nginx.terminate(); nginx.waitUntilExit() }
        var front: RawHTTPClient?
        for _ in 0..<100 where front == nil {
            front = try? RawHTTPClient(port: port)
            if front == nil { usleep(50_000) }
        }
        let c = try XCTUnwrap(front, "nginx did not start: \(String(decoding: nginxOutput.fileHandleForReading.availableData, as: UTF8.self))")

        // Requests through nginx reach both instances.
        for i in 0..<20 { XCTAssertEqual(try c.request("GET", "/readyz?probe=\(i)").status, 200) }
        XCTAssertTrue(first.waitForLog("GET /readyz 200"), "the first instance got nothing")
        XCTAssertTrue(second.waitForLog("GET /readyz 200"), "the second instance got nothing")

        // A write through one instance is read through the other: the state lives in MongoDB.
        let viaFirst = try RawHTTPClient(unixPath: dir + "/api1.sock")
        let created = try viaFirst.request("POST", "/books", headers: [("Content-Type", "application/json")], body: #"{"title":"Shared","author":"Both"}"#)
        XCTAssertEqual(created.status, 201)
        let location = try XCTUnwrap(created.header("Location"))
        XCTAssertEqual(try RawHTTPClient(unixPath: dir + "/api2.sock").request("GET", location).status, 200)
        XCTAssertEqual(try c.request("GET", location).status, 200)
        let car = try c.request("POST", "/cars", headers: [("Content-Type", "application/json")], body: #"{"name":"Through nginx"}"#)
        XCTAssertEqual(car.status, 201)
        XCTAssertEqual(try c.request("GET", try XCTUnwrap(car.header("Location"))).status, 200)
    }
}
