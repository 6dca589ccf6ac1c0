import CMongoC
import Dispatch
import Foundation
import JSON
import TestSupport
import XCTest

@testable import MongoBridge

/// MongoBridge against the wire-protocol test server, through libmongoc.
final class MongoPoolTests: XCTestCase {
    static let shared = SharedFixture { try MongoTestServer() }
    var server: MongoTestServer!

    override func setUpWithError() throws { server = try Self.shared.get() }

    override class func tearDown() {
        shared.started?.stop()
        super.tearDown()
    }

    private func pool(size: Int = 4, url: String? = nil) throws -> MongoPool {
        try MongoPool(url: url ?? server.url, defaultDatabase: "unused", maxSize: size)
    }

    func testDatabaseComesFromTheURLPathElseTheDefault() throws {
        XCTAssertEqual(try pool().databaseName, "bookdata")
        XCTAssertEqual(try pool(url: "mongodb://127.0.0.1:\(server.port)").databaseName, "unused")
        XCTAssertThrowsError(try pool(url: "mongodb://")) { XCTAssertTrue(($0 as? MongoError).map { if case .configuration = $0 { true } else { false } } ?? false) }
    }

    /// With waitQueueTimeoutMS, mongoc_client_pool_pop returns NULL once the wait is over:
    /// that must be an error to answer, not a force-unwrap that kills the process.
    func testAnExhaustedPoolThrowsInsteadOfCrashing() throws {
        let p = try pool(size: 8, url: server.url + "?waitQueueTimeoutMS=50&maxPoolSize=1")
        XCTAssertEqual(p.maxSize, 1, "maxPoolSize in the URL wins over the setting")
        try p.ping()
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? p.withClient { (_) throws(MongoError) in
                holding.signal()
                release.wait()
            }
        }
        holder.start()
        holding.wait()
        defer { release.signal() }
        do throws(MongoError) {
            try p.ping()
            XCTFail("the only client was busy, yet the pool handed one out")
        } catch {
            guard case .poolExhausted = error else { return XCTFail("expected poolExhausted, got \(error)") }
        }
    }

    func testPoolSizeComesFromTheSettingWithoutMaxPoolSize() throws {
        XCTAssertEqual(try pool(size: 3).maxSize, 3)
        XCTAssertEqual(try pool(size: 3, url: server.url + "?maxPoolSize=7").maxSize, 7)
    }

    func testCRUDOperations() throws {
        let p = try pool()
        try p.ping()
        try p.collection("crud") { (c) throws(MongoError) in
            try c.drop()
            try c.createIndexes([.init(keys: ["id": .int32(1)], name: "id_1", unique: true)])
            try c.insertOne(["id": .string("a"), "n": .int32(1)])
            try c.insertOne(["id": .string("b"), "n": .int32(2)])
            XCTAssertEqual(try c.countDocuments([:]), 2)
            XCTAssertEqual(try c.findOne(["id": .string("a")], projection: ["_id": .int32(0)]), ["id": .string("a"), "n": .int32(1)])
            let updated = try c.updateOne(["id": .string("a")], update: ["$set": .document(["n": .int32(5)])])
            XCTAssertEqual(updated.matched, 1)
            let after = try c.findOneAndUpdate(["id": .string("b")], update: ["$inc": .document(["n": .int32(1)])], projection: ["_id": .int32(0)])
            XCTAssertEqual(after?["n"], .int32(3))
            XCTAssertNil(try c.findOneAndUpdate(["id": .string("zz")], update: ["$set": .document(["n": .int32(1)])]))
            XCTAssertEqual(try c.deleteOne(["id": .string("a")]), 1)
            XCTAssertEqual(try c.deleteOne(["id": .string("a")]), 0)
        }
    }

    func testDuplicateKeyIsMapped() throws {
        let p = try pool()
        try p.collection("dups") { (c) throws(MongoError) in
            try c.drop()
            try c.createIndexes([.init(keys: ["id": .int32(1)], name: "id_1", unique: true)])
            try c.insertOne(["id": .string("x")])
            do throws(MongoError) {
                try c.insertOne(["id": .string("x")])
                XCTFail("duplicate accepted")
            } catch {
                guard case .duplicateKey = error else { return XCTFail("mapped to \(error)") }
            }
        }
    }

    func testServerErrorsAreMapped() {
        XCTAssertEqual(MongoError(Self.error(domain: MONGOC_ERROR_SERVER.rawValue, code: 11000, "E11000")), .duplicateKey("E11000"))
        XCTAssertEqual(MongoError(Self.error(domain: MONGOC_ERROR_SERVER_SELECTION.rawValue, code: 13053, "No suitable servers")), .unreachable("No suitable servers"))
        XCTAssertEqual(
            MongoError(Self.error(domain: MONGOC_ERROR_STREAM.rawValue, code: MONGOC_ERROR_STREAM_SOCKET.rawValue, "socket error or timeout")),
            .connectionLost("socket error or timeout"), "a reset or a timeout: MongoPool tells them apart by the time taken")
        XCTAssertEqual(MongoError(Self.error(domain: MONGOC_ERROR_SERVER.rawValue, code: 50, "operation exceeded time limit")), .timeout("operation exceeded time limit"))
        XCTAssertEqual(MongoError(Self.error(domain: MONGOC_ERROR_SERVER.rawValue, code: 2, "bad value")), .server(code: 2, message: "bad value"))
    }

    /// The one table: failovers and write conflicts are transient by code, any error the server
    /// labels retryable is transient, time limits are timeouts, the rest is permanent.
    func testTheClassificationTable() {
        let server = MONGOC_ERROR_SERVER.rawValue
        for (code, name) in [
            (10107, "NotWritablePrimary"), (189, "PrimarySteppedDown"), (91, "ShutdownInProgress"), (11602, "InterruptedDueToReplStateChange"),
            (13435, "NotPrimaryNoSecondaryOk"), (112, "WriteConflict"), (133, "FailedToSatisfyReadPreference"), (6, "HostUnreachable"),
        ] {
            XCTAssertEqual(MongoError(Self.error(domain: server, code: UInt32(code), name)), .transient(code: code, message: name), name)
        }
        for code in [50, 262, 89] {
            XCTAssertEqual(MongoError(Self.error(domain: server, code: UInt32(code), "slow")), .timeout("slow"), "\(code)")
        }
        let labelled: Document = ["errorLabels": .array([.string("RetryableWriteError")])]
        XCTAssertEqual(MongoError(Self.error(domain: server, code: 2, "x"), reply: labelled), .transient(code: 2, message: "x"), "a retryable label makes any error transient")
        XCTAssertEqual(
            MongoError(Self.error(domain: server, code: 2, "x"), reply: ["errorLabels": .array([.string("NoWritesPerformed")])]),
            .server(code: 2, message: "x"), "other labels change nothing")
        XCTAssertEqual(
            MongoError(Self.error(domain: MONGOC_ERROR_STREAM.rawValue, code: MONGOC_ERROR_STREAM_SOCKET.rawValue, "socket error or timeout")),
            .connectionLost("socket error or timeout"))
        XCTAssertEqual(
            MongoError(Self.error(domain: MONGOC_ERROR_STREAM.rawValue, code: MONGOC_ERROR_STREAM_CONNECT.rawValue, "connection refused")), .unreachable("connection refused"))
        XCTAssertEqual(MongoError(Self.error(domain: MONGOC_ERROR_BSON.rawValue, code: 1, "bad bson")), .invalidDocument("bad bson"))
        XCTAssertEqual(MongoError(Self.error(domain: MONGOC_ERROR_CLIENT.rawValue, code: 1, "no client")), .unreachable("no client"))
        // Issue 16: refused credentials, write concern errors and the document limit have their own kinds.
        let authenticate = MONGOC_ERROR_CLIENT_AUTHENTICATE.rawValue
        XCTAssertEqual(MongoError(Self.error(domain: MONGOC_ERROR_CLIENT.rawValue, code: authenticate, "Authentication failed.")), .authentication("Authentication failed."))
        XCTAssertEqual(MongoError(Self.error(domain: server, code: 18, "Authentication failed.")), .authentication("Authentication failed."))
        XCTAssertEqual(MongoError(Self.error(domain: MONGOC_ERROR_SCRAM.rawValue, code: 3, "SCRAM Failure")), .authentication("SCRAM Failure"))
        let concern = MONGOC_ERROR_WRITE_CONCERN.rawValue
        XCTAssertEqual(
            MongoError(Self.error(domain: concern, code: 64, "waiting for replication timed out")),
            .writeConcern(code: 64, message: "waiting for replication timed out", timedOut: true))
        XCTAssertEqual(MongoError(Self.error(domain: concern, code: 100, "unsatisfiable")), .writeConcern(code: 100, message: "unsatisfiable", timedOut: false))
        for code in [10334, 17419, 17420] {
            XCTAssertEqual(MongoError(Self.error(domain: server, code: UInt32(code), "too large")), .tooLarge(code: code, message: "too large"), "\(code)")
        }
    }

    func testCursorsSpanSeveralBatchesAndStopEarly() throws {
        let p = try pool()
        try p.collection("batches") { (c) throws(MongoError) in
            try c.drop()
            for i in 0..<25 { try c.insertOne(["n": .int32(Int32(i))]) }
            var seen: [Int32] = []
            try c.find([:], sort: ["n": .int32(1)], batchSize: 10) { (doc) throws(MongoError) -> Bool in
                if case .int32(let n)? = doc["n"] { seen.append(n) }
                return true
            }
            XCTAssertEqual(seen, Array(0..<25), "three batches: firstBatch and two getMores")
            var firstThree = 0
            try c.find([:], batchSize: 2) { (_) throws(MongoError) -> Bool in
                firstThree += 1; return firstThree < 3
            }
            XCTAssertEqual(firstThree, 3)
        }
    }

    func testPoolUnderConcurrentUse() throws {
        let p = try pool(size: 3)
        try p.collection("concurrent") { (c) throws(MongoError) in try c.drop() }
        let failures = Atomicish()
        DispatchQueue.concurrentPerform(iterations: 60) { i in
            do {
                try p.collection("concurrent") { (c) throws(MongoError) in try c.insertOne(["i": .int32(Int32(i))]) }
            } catch {
                failures.add()
            }
        }
        XCTAssertEqual(failures.count, 0)
        XCTAssertEqual(try p.collection("concurrent") { (c) throws(MongoError) -> Int in try c.countDocuments([:]) }, 60)
        XCTAssertEqual(p.load.inUse, 0, "every popped client went back")
    }

    func testUnreachableServerFailsFastWithUnreachable() throws {
        let p = try pool(url: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=200")
        let start = DispatchTime.now()
        XCTAssertThrowsError(try p.ping()) { error in
            guard case .unreachable = error as? MongoError else { return XCTFail("\(error)") }
        }
        XCTAssertLessThan(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9, 3.0)
    }

    static func error(domain: UInt32, code: UInt32, _ message: String) -> bson_error_t {
        var e = bson_error_t()
        e.domain = domain
        e.code = code
        withUnsafeMutableBytes(of: &e.message) { raw in
            let bytes = Array(message.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return e
    }
}

final class Atomicish: @unchecked Sendable {  // guarded by `lock`
    private let lock = DispatchQueue(label: "count")
    private var value = 0
    func add() { lock.sync { value += 1 } }
    var count: Int { lock.sync { value } }
}
