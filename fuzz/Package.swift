// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets, as a package of their own built against the project's modules (the shape of
// swift-protobuf's FuzzTesting). scripts/fuzz builds it with
//   swift build -c release --package-path fuzz --scratch-path fuzz/.build \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -use-ld=lld
// so every module is instrumented and `@testable import` reaches the internals the targets drive.
// Each target's main.swift hands its input function to libFuzzer's driver (runLibFuzzer).
let package = Package(
    name: "BooksAPIFuzz",
    dependencies: [.package(name: "BooksAPI", path: "..")],
    targets: [
        // libFuzzer's driver entry point, declared for Swift.
        .target(name: "CLibFuzzer"),
        // The feeder of the http and app targets and the driver call every target makes.
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", .product(name: "HTTPServer", package: "BooksAPI")]),
        .executableTarget(name: "HTTPFuzz", dependencies: ["FuzzSupport", .product(name: "HTTPServer", package: "BooksAPI")]),
        .executableTarget(name: "JSONFuzz", dependencies: ["FuzzSupport", .product(name: "JSON", package: "BooksAPI")]),
        .executableTarget(
            name: "BSONFuzz",
            dependencies: ["FuzzSupport", .product(name: "MongoBridge", package: "BooksAPI"), .product(name: "JSON", package: "BooksAPI")]),
        .executableTarget(
            name: "AllocationFuzz",
            dependencies: ["FuzzSupport", .product(name: "BooksApp", package: "BooksAPI"), .product(name: "JSON", package: "BooksAPI")]),
        .executableTarget(
            name: "AppFuzz",
            dependencies: [
                "FuzzSupport", .product(name: "BooksApp", package: "BooksAPI"), .product(name: "HTTPServer", package: "BooksAPI"),
                .product(name: "JSON", package: "BooksAPI"),
            ]),
        .executableTarget(
            name: "HeaderFuzz",
            dependencies: [
                "FuzzSupport", .product(name: "BooksApp", package: "BooksAPI"), .product(name: "HTTPServer", package: "BooksAPI"),
                .product(name: "JSON", package: "BooksAPI"), .product(name: "ASCIIText", package: "BooksAPI"),
            ]),
    ]
)
