// swift-tools-version:6.0
import PackageDescription

// No Swift package dependencies by design: Foundation(Essentials), Dispatch, Glibc
// and Synchronization only. libmongoc arrives through a system-library target.
let package = Package(
    name: "BooksAPI",
    products: [
        .executable(name: "BooksAPI", targets: ["BooksAPI"]),
        // For the fuzzing package in fuzz/, which builds against the modules themselves.
        .library(name: "BooksApp", targets: ["BooksApp"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "MongoBridge", targets: ["MongoBridge"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "ASCIIText", targets: ["ASCIIText"]),
    ],
    targets: [
        // Byte-level JSON: shared by the HTTP routes and (later) MongoBridge.
        // Strict decimal integers and calendar arithmetic: the byte-level text every other module parses.
        .target(name: "ASCIIText"),
        .target(name: "JSON", dependencies: ["ASCIIText"]),
        // epoll, eventfd and accept4, which Swift's Glibc module leaves out.
        .target(name: "CSystemShims"),
        // HTTP/1.1 on epoll. Knows nothing about books or stores.
        .target(name: "HTTPServer", dependencies: ["CSystemShims", "ASCIIText"]),
        // The MongoDB C driver's headers (Debian: libmongoc-dev), for MongoBridge only.
        .systemLibrary(name: "CMongoC", pkgConfig: "libmongoc-1.0", providers: [.apt(["libmongoc-dev", "libbson-dev"])]),
        // OpenSSL's libcrypto (libssl-dev arrives with libmongoc-dev), for HMAC-SHA256 only.
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        // The only module that touches libmongoc or libbson.
        .target(name: "MongoBridge", dependencies: ["CMongoC", "ASCIIText", "JSON"]),
        // The application: configuration, the route table, routes, models and validation, the
        // Store protocol and both stores, the commands.
        .target(name: "BooksApp", dependencies: ["ASCIIText", "JSON", "HTTPServer", "MongoBridge", "CSystemShims", "COpenSSL"]),
        // The executable: only main.
        .executableTarget(name: "BooksAPI", dependencies: ["BooksApp"]),
        // A raw-socket HTTP client and a fixture that runs the real binary, for the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ASCIITextTests", dependencies: ["ASCIIText", "TestSupport"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "ASCIIText", "TestSupport"]),
        .testTarget(name: "MongoBridgeTests", dependencies: ["MongoBridge", "CMongoC", "JSON", "TestSupport"]),
        .testTarget(name: "BooksAppTests", dependencies: ["BooksApp", "JSON", "HTTPServer", "MongoBridge", "TestSupport"]),
        // Starts the real binary and talks to it over sockets.
        // Depends on BooksAPI so that `swift test` builds the binary it starts.
        .testTarget(name: "EndToEndTests", dependencies: ["BooksAPI", "JSON", "MongoBridge", "TestSupport"]),
    ]
)
