// swift-tools-version:6.0
import PackageDescription

// No Swift package dependencies by design: Foundation(Essentials), Dispatch, Glibc
// and Synchronization only. libmongoc arrives through a system-library target.
let package = Package(
    name: "BooksAPI",
    products: [
        .executable(name: "BooksAPI", targets: ["BooksAPI"]),
    ],
    targets: [
        // Byte-level JSON: shared by the HTTP routes and (later) MongoBridge.
        .target(name: "JSON"),
        // HTTP/1.1 on epoll. Knows nothing about books or stores.
        // epoll, eventfd and accept4, which Swift's Glibc module leaves out.
        .target(name: "CSystemShims"),
        .target(name: "HTTPServer", dependencies: ["CSystemShims"]),
        .executableTarget(name: "BooksAPI", dependencies: ["JSON", "HTTPServer"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
        .testTarget(name: "BooksAPITests", dependencies: ["BooksAPI", "JSON", "HTTPServer"]),
        // Starts the real binary and talks to it over sockets.
        .testTarget(name: "EndToEndTests", dependencies: ["JSON"]),
    ]
)
