// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ScaleQuant",
    products: [
        .library(name: "ScaleQuant", targets: ["ScaleQuant"]),
        .executable(name: "scalequant", targets: ["scalequant"]),
        /// The C ABI (`@_cdecl` functions) for Python (ctypes) and any other language.
        .library(name: "ScaleQuantC", type: .dynamic, targets: ["ScaleQuantC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        /// The library: number formats, array/model files, and the quantization algorithms.
        .target(name: "ScaleQuant"),
        /// The command-line layer: argument parsing and printing, a thin shell over the library.
        .target(
            name: "ScaleQuantCLI",
            dependencies: [
                "ScaleQuant",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "scalequant", dependencies: ["ScaleQuantCLI"]),
        /// The C interface over the library: status codes and messages, no global mutable state.
        .target(name: "ScaleQuantC", dependencies: ["ScaleQuant"]),
        .executableTarget(name: "scalequant-bench", dependencies: ["ScaleQuant"]),
        .testTarget(name: "ScaleQuantTests", dependencies: ["ScaleQuant"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ScaleQuantCLITests", dependencies: ["ScaleQuantCLI", "ScaleQuant"]),
    ],
    swiftLanguageModes: [.v6]
)
