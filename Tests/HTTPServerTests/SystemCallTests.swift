import Glibc
import XCTest

@testable import HTTPServer

final class SystemCallTests: XCTestCase {
    func testEINTRIsRetriedAndOtherFailuresNameTheCall() throws {
        var attempts = 0
        let rc = try SystemCall.check("flaky") { () -> Int32 in
            attempts += 1
            if attempts < 3 { errno = EINTR; return -1 }
            return 7
        }
        XCTAssertEqual(rc, 7)
        XCTAssertEqual(attempts, 3, "interrupted twice, then done")
        do {
            try SystemCall.check("close(fd -1)") { close(-1) }
            XCTFail("an invalid descriptor was accepted")
        } catch {
            XCTAssertEqual(error.errno, EBADF)
            XCTAssertTrue(error.description.hasPrefix("close(fd -1): "), error.description)
        }
    }
}
