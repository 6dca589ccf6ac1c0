import HTTPServer
import JSON
import XCTest

@testable import BooksApp

/// Settings.swift: the environment, .env, errors that name the setting, --help and the README.
final class SettingsTests: XCTestCase {
    func testSettingsFromEnvironmentAndDotEnv() throws {
        let dot = DotEnv.parse("# comment\nexport PORT=6000\nLOG_LEVEL = 'warn'\nHOST=\"127.0.0.1\" \nCORS_ORIGINS=http://a.example, https://b.example # two\n")
        let s = try Settings.load(environment: ["PORT": "7000"], dotEnv: dot, cores: 4)
        XCTAssertEqual(s.port, 7000, "the environment wins over .env")
        XCTAssertEqual(s.logLevel, .warn)
        XCTAssertEqual(s.host, "127.0.0.1")
        XCTAssertEqual(s.corsOrigins, ["http://a.example", "https://b.example"])
        XCTAssertEqual(s.ioThreads, 4)
        let defaults = try Settings.load(environment: [:], dotEnv: [:], cores: 2)
        XCTAssertEqual(defaults.port, 5000)
        XCTAssertEqual(defaults.host, "0.0.0.0")
        XCTAssertEqual(defaults.dataDir, "./data")
        XCTAssertNil(defaults.mongodbURL)
    }

    func testInvalidSettingsNameTheSetting() {
        let cases: [(String, String)] = [
            ("PORT", "70000"), ("PORT", "abc"), ("LOG_LEVEL", "loud"), ("HEADER_TIMEOUT", "-1"),
            ("MAX_BODY_BYTES", "x"), ("CORS_ORIGINS", "example.com"), ("MONGODB_URL", "postgres://x"),
            ("WORKER_THREADS", "0"), ("DATA_DIR", ""),
        ]
        for (name, value) in cases {
            XCTAssertThrowsError(try Settings.load(environment: [name: value], dotEnv: [:], cores: 2)) { error in
                XCTAssertEqual((error as? SettingsError)?.name, name)
                XCTAssertTrue("\(error)".contains(name))
            }
        }
    }

    func testHelpListsEverySetting() {
        for definition in Settings.definitions {
            XCTAssertTrue(Settings.helpText.contains(definition.name), definition.name)
            XCTAssertFalse(definition.help.isEmpty)
        }
    }

    /// The README's settings block is `--help`'s list, line for line (HOST was once missing).
    func testTheREADMEListsEverySettingAsHelpDoes() throws {
        let readme = String(decoding: readFile(URLPath.packageRoot + "/README.md"), as: UTF8.self)
        let helpLines = Settings.helpText.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains("(default: ") }
        XCTAssertEqual(helpLines.count, Settings.definitions.count)
        for line in helpLines { XCTAssertTrue(readme.contains(line + "\n"), "README.md lacks: \(line)") }
    }
}
