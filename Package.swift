// swift-tools-version:6.1
import PackageDescription

// Settings every Cutline target shares (after Hummingbird's Package.swift).
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "cutline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cutline-gateway", targets: ["CutlineGateway"]),
        .executable(name: "cutline-media", targets: ["CutlineMedia"]),
        .executable(name: "cutline-text", targets: ["CutlineText"]),
        .executable(name: "cutline", targets: ["CutlineCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Native libraries, found through pkg-config; shims hold what Swift cannot import.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libavfilter libavutil libswscale libswresample",
            providers: [.apt([
                "libavformat-dev", "libavcodec-dev", "libavfilter-dev",
                "libavutil-dev", "libswscale-dev", "libswresample-dev",
            ])]
        ),
        .systemLibrary(
            name: "CFontconfig",
            pkgConfig: "fontconfig freetype2",
            providers: [.apt(["libfontconfig-dev", "libfreetype-dev"])]
        ),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Job model: ids, states, versions. No dependencies.
        .target(name: "CutlineCore", swiftSettings: swiftSettings),
        // The media engine: probe, single-pass render with overlays, on the FFmpeg libraries.
        .target(name: "CutlineMediaEngine", dependencies: ["CFFmpeg", "CFontconfig", "CutlineCore"], swiftSettings: swiftSettings),
        // CBOR codec and frame format: pure Swift, no dependencies (the fuzz target compiles it alone).
        .target(name: "CutlineWire", swiftSettings: swiftSettings),
        // RPC over POSIX sockets: handshake, server, client.
        .target(
            name: "CutlineRPC",
            dependencies: [
                "CutlineWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Each service's methods with their request and response types.
        .target(name: "CutlineContracts", dependencies: ["CutlineCore", "CutlineRPC"], swiftSettings: swiftSettings),
        // What the three service executables share: configuration, logging bootstrap, the service group.
        .target(
            name: "CutlineServiceHost",
            dependencies: [
                "CutlineRPC", "CutlineContracts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(name: "CutlineGateway", dependencies: ["CutlineServiceHost"], swiftSettings: swiftSettings),
        .executableTarget(name: "CutlineMedia", dependencies: ["CutlineServiceHost"], swiftSettings: swiftSettings),
        .executableTarget(name: "CutlineText", dependencies: ["CutlineServiceHost"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "CutlineCLI",
            dependencies: [
                "CutlineRPC", "CutlineContracts", "CutlineServiceHost", "CutlineCore", "CutlineMediaEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "CutlineCoreTests", dependencies: ["CutlineCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CutlineMediaEngineTests",
            dependencies: ["CutlineMediaEngine", "CutlineCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CutlineWireTests", dependencies: ["CutlineWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CutlineRPCTests",
            dependencies: ["CutlineRPC", "CutlineContracts", "CutlineServiceHost"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["CFFmpeg", "CCurl", "CSQLite"],
            swiftSettings: swiftSettings
        ),
    ]
)
