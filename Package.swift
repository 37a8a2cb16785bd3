// swift-tools-version:6.2
import PackageDescription

// Settings every Cutline target shares (after Hummingbird's Package.swift).
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // The project's own code builds without warnings, and a new one fails the build (and scripts/test).
    .treatAllWarnings(as: .error),
]

// The live suites (end to end, browser, crash) build the whole product from its composition roots.
let liveTestDependencies: [Target.Dependency] = [
    "CutlineProductTestSupport", "CutlineGatewayApp", "CutlineMediaProcessorApp", "CutlineTextApp", "CutlineAdapters",
    "CutlineSettings", "CutlineServiceHost", "CutlineContracts", "CutlineJobStore", "CutlineJobFlow", "CutlineRPC", "CutlineWire",
    "CutlineCore", "CutlineOutbox", "CutlineSQLite", "CutlineStorage", "CutlineDynamoDB", "CutlineTestSupport",
    .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
]

let package = Package(
    name: "cutline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cutline-gateway", targets: ["CutlineGateway"]),
        .executable(name: "cutline-media-processor", targets: ["CutlineMediaProcessor"]),
        .executable(name: "cutline-text", targets: ["CutlineText"]),
        .executable(name: "cutline", targets: ["CutlineCLI"]),
        .executable(name: "cutline-rpc-bench", targets: ["CutlineRPCBench"]),
        .executable(name: "cutline-state-bench", targets: ["CutlineStateBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        // The Gateway's HTTP server. swift-configuration support is not used, so its trait is off.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1", traits: ["FullFoundation"]),
        // Metrics: the swift-metrics API everywhere, exposed in Prometheus's text format by the services.
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        // Traces: the swift-distributed-tracing API everywhere, swift-otel's tracer (W3C trace context)
        // and its OTLP/HTTP exporter. Its gRPC exporter (a much longer build) is left out.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", exact: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", exact: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Native libraries, found through pkg-config; shims hold what Swift cannot import.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libavfilter libavutil libswscale libswresample",
            providers: [
                .apt([
                    "libavformat-dev", "libavcodec-dev", "libavfilter-dev",
                    "libavutil-dev", "libswscale-dev", "libswresample-dev",
                ])
            ]
        ),
        .systemLibrary(
            name: "CPango",
            pkgConfig: "pangocairo",
            providers: [.apt(["libpango1.0-dev", "libcairo2-dev"])]
        ),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // A bounded pool of threads for blocking work, off Swift's cooperative pool. No dependencies.
        .target(name: "CutlineBlocking", swiftSettings: swiftSettings),
        // Job model: ids, states, versions. No dependencies.
        .target(name: "CutlineCore", swiftSettings: swiftSettings),
        // The media engine: probe, single-pass render with overlays, on the FFmpeg libraries.
        .target(name: "CutlineMediaEngine", dependencies: ["CFFmpeg", "CPango", "CutlineCore"], swiftSettings: swiftSettings),
        // CBOR codec and frame format: pure Swift, no dependencies (the fuzz target compiles it alone).
        .target(name: "CutlineWire", swiftSettings: swiftSettings),
        // RPC over POSIX sockets: handshake, server, client.
        // The process's tracer (swift-otel) and the W3C trace context as the RPC frames and queue messages
        // carry it.
        .target(
            name: "CutlineTracing",
            dependencies: [
                .product(name: "Tracing", package: "swift-distributed-tracing"), .product(name: "OTel", package: "swift-otel"),
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CutlineRPC",
            dependencies: [
                "CutlineWire", "CutlineTracing", .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP over libcurl: async, off the cooperative pool, retries with backoff, streamed files.
        .target(name: "CutlineHTTP", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        // SQLite through libsqlite3: owner types, a serial queue per database, migrations, typed errors.
        .target(name: "CutlineSQLite", dependencies: ["CSQLite"], swiftSettings: swiftSettings),
        // The status outbox and its relay: every status write survives crashes and outages.
        .target(
            name: "CutlineOutbox",
            dependencies: [
                "CutlineCore", "CutlineSQLite", .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The embedded object store: a directory with atomic writes, safe keys and signed URLs.
        .target(
            name: "CutlineBlobStore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // S3 over libcurl with SigV4: objects, listings, multipart uploads, presigned URLs.
        .target(
            name: "CutlineS3",
            dependencies: [
                "CutlineAWS", "CutlineHTTP", "CutlineBlocking", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // One object-store interface, on S3 or on the embedded blob store.
        .target(
            name: "CutlineStorage",
            dependencies: ["CutlineCore", "CutlineS3", "CutlineBlobStore", "CutlineBlocking"],
            swiftSettings: swiftSettings
        ),
        // DynamoDB's JSON protocol, signed with SigV4, and the stores on it: the status sink, the Gateway's jobs.
        .target(
            name: "CutlineDynamoDB",
            dependencies: [
                "CutlineCore", "CutlineOutbox", "CutlineAWS", "CutlineHTTP", "CutlineSQLite", "CutlineContracts", "CutlineJobStore", "CutlineStorage",
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQS's JSON protocol, signed with SigV4, and the shared job queue on it.
        .target(
            name: "CutlineSQS",
            dependencies: ["CutlineCore", "CutlineOutbox", "CutlineAWS", "CutlineHTTP", .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        // The embedded job status table (the sink when no DynamoDB table is configured).
        .target(name: "CutlineStatusStore", dependencies: ["CutlineCore", "CutlineSQLite", "CutlineOutbox"], swiftSettings: swiftSettings),
        // Each service's methods with their request and response types.
        .target(name: "CutlineContracts", dependencies: ["CutlineCore", "CutlineRPC", "CutlineWire"], swiftSettings: swiftSettings),
        // Every setting (CUTLINE_* and AWS) resolved and validated into plain values, for the services
        // and the CLI. It builds nothing, so a settings change rebuilds little.
        .target(
            name: "CutlineSettings",
            dependencies: ["CutlineCore", "CutlineRPC", "CutlineWire", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // Per-clip text variations: the engine protocol, the offline WordNet engine, Gemini and
        // OpenAI-compatible servers over libcurl, and the clean-up every engine's output gets.
        .target(
            name: "CutlineTextEngines",
            dependencies: ["CutlineCore", "CutlineContracts", "CutlineHTTP", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The one place the swappable adapters (object store, status store, text engine) are made from
        // the settings, for the composition roots and the CLI.
        .target(
            name: "CutlineAdapters",
            dependencies: [
                "CutlineSettings", "CutlineHTTP", "CutlineStorage", "CutlineS3", "CutlineBlobStore", "CutlineOutbox", "CutlineStatusStore",
                "CutlineDynamoDB", "CutlineSQS", "CutlineTextEngines", "CutlineJobStore", "CutlineSQLite",
            ],
            swiftSettings: swiftSettings
        ),

        // What the three services share: logging bootstrap (job_id on every line), the service group.
        .target(
            name: "CutlineServiceHost",
            dependencies: [
                "CutlineTracing",
                "CutlineCore", "CutlineRPC", "CutlineContracts", "CutlineSettings",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Prometheus exposition of every metric the process records: bootstrapped once per process,
        // served at the Gateway's /metrics and, for the other services, on CUTLINE_METRICS_LISTEN.
        .target(
            name: "CutlineMetrics",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The job tables of the Gateway and the MediaProcessor: rows and their status writes in one transaction.
        .target(
            name: "CutlineJobStore",
            dependencies: ["CutlineCore", "CutlineContracts", "CutlineSQLite", "CutlineOutbox", .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        // A job's steps from upload to queue (probe, plan, measure texts, fix texts, queue, dispatch,
        // cancel), with no HTTP in them: the Gateway's controllers call them.
        .target(
            name: "CutlineJobFlow",
            dependencies: [
                "CutlineCore", "CutlineContracts", "CutlineJobStore", "CutlineOutbox", "CutlineRPC", "CutlineWire", "CutlineStorage",
                "CutlineTracing",
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Each service's composition root: everything it runs, built from its settings.
        .target(
            name: "CutlineGatewayApp",
            dependencies: [
                "CutlineTracing",
                "CutlineServiceHost", "CutlineSettings", "CutlineAdapters", "CutlineStorage", "CutlineOutbox", "CutlineSQLite", "CutlineCore",
                "CutlineBlobStore", "CutlineContracts", "CutlineRPC", "CutlineBlocking", "CutlineHTTP", "CutlineJobFlow", "CutlineJobStore",
                "CutlineSQS", "CutlineMetrics", .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("openapi.yaml"), .copy("Web")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CutlineMediaProcessorApp",
            dependencies: [
                "CutlineTracing", .product(name: "Tracing", package: "swift-distributed-tracing"),
                "CutlineServiceHost", "CutlineSettings", "CutlineAdapters", "CutlineStorage", "CutlineOutbox", "CutlineSQLite", "CutlineCore",
                "CutlineContracts", "CutlineMediaEngine", "CutlineRPC", "CutlineWire", "CutlineBlocking", "CutlineJobStore", "CutlineSQS",
                "CutlineMetrics", .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CutlineTextApp",
            dependencies: [
                "CutlineTracing",
                "CutlineServiceHost", "CutlineSettings", "CutlineAdapters", "CutlineTextEngines", "CutlineContracts", "CutlineRPC", "CutlineWire",
                "CutlineMetrics",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The executables only parse options, build, and run.
        .executableTarget(
            name: "CutlineGateway",
            dependencies: [
                "CutlineGatewayApp", "CutlineServiceHost", "CutlineSettings",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: swiftSettings),
        .executableTarget(
            name: "CutlineMediaProcessor",
            dependencies: [
                "CutlineMediaProcessorApp", "CutlineServiceHost", "CutlineSettings",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: swiftSettings),
        .executableTarget(
            name: "CutlineText",
            dependencies: [
                "CutlineTextApp", "CutlineServiceHost", "CutlineSettings",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: swiftSettings),
        .executableTarget(
            name: "CutlineCLI",
            dependencies: [
                "CutlineCore", "CutlineRPC", "CutlineContracts", "CutlineServiceHost", "CutlineSettings", "CutlineAdapters", "CutlineStorage",
                "CutlineOutbox", "CutlineSQLite", "CutlineJobStore", .product(name: "Logging", package: "swift-log"),
                "CutlineMediaEngine", "CutlineBlobStore", "CutlineS3", "CutlineHTTP", "CutlineDynamoDB", "CutlineSQS", "CutlineTextEngines",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // scripts/bench-rpc: RPC against a raw-socket floor.
        .executableTarget(
            name: "CutlineRPCBench",
            dependencies: [
                "CutlineRPC", "CutlineWire", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Writes status updates through the outbox: crash tests and scripts/bench-state.
        .executableTarget(
            name: "CutlineStateBench",
            dependencies: [
                "CutlineCore", "CutlineOutbox", "CutlineSQLite", "CutlineDynamoDB", "CutlineHTTP", "CutlineStatusStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // AWS credentials, region and endpoint settings, and the Signature Version 4 signer.
        .target(
            name: "CutlineAWS",
            dependencies: ["CutlineHTTP", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),

        // Test helpers shared by the test targets: child processes, fixtures, free ports.
        .target(name: "CutlineTestSupport", swiftSettings: swiftSettings),

        .testTarget(name: "CutlineCoreTests", dependencies: ["CutlineCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CutlineBlockingTests", dependencies: ["CutlineBlocking"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CutlineMediaEngineTests",
            dependencies: ["CutlineMediaEngine", "CutlineCore", "CutlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CutlineWireTests", dependencies: ["CutlineWire", "CutlineTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CutlineRPCTests",
            dependencies: [
                "CutlineCore", "CutlineWire", "CutlineRPC", "CutlineContracts", "CutlineServiceHost", "CutlineTestSupport", "CutlineTracing",
                .product(name: "Logging", package: "swift-log"), .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["CFFmpeg", "CCurl", "CSQLite", "CutlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutlineOutboxTests",
            dependencies: [
                "CutlineCore", "CutlineSQLite", "CutlineOutbox", "CutlineStatusStore", "CutlineTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutlineHTTPTests",
            dependencies: ["CutlineHTTP", "CutlineTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutlineDynamoDBTests",
            dependencies: [
                "CutlineCore", "CutlineOutbox", "CutlineSQLite", "CutlineStatusStore", "CutlineDynamoDB", "CutlineAWS",
                "CutlineHTTP", "CutlineTestSupport", "CutlineJobStore", "CutlineContracts", "CutlineStorage", "CutlineBlobStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutlineSQSTests",
            dependencies: [
                "CutlineCore", "CutlineOutbox", "CutlineSQLite", "CutlineStatusStore", "CutlineSQS", "CutlineHTTP", "CutlineTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutlineS3Tests",
            dependencies: [
                "CutlineS3", "CutlineAWS", "CutlineHTTP", "CutlineBlocking", "CutlineTestSupport", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CutlineBlobStoreTests", dependencies: ["CutlineBlobStore", "CutlineTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CutlineStorageTests",
            dependencies: ["CutlineStorage", "CutlineS3", "CutlineAWS", "CutlineHTTP", "CutlineBlobStore", "CutlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        // What the live suites share: the Gateway, a whole product and the AWS stand-ins on loopback,
        // started from the composition roots the executables run, and stopped before the next test.
        .target(
            name: "CutlineProductTestSupport",
            dependencies: [
                "CutlineGatewayApp", "CutlineMediaProcessorApp", "CutlineTextApp", "CutlineAdapters", "CutlineSettings", "CutlineServiceHost",
                "CutlineContracts", "CutlineJobStore", "CutlineRPC", "CutlineCore", "CutlineOutbox", "CutlineSQLite", "CutlineStorage",
                "CutlineTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tests/CutlineProductTestSupport",
            swiftSettings: swiftSettings
        ),
        // The whole product on loopback: one job from upload to clips, in both run modes; the roots, the
        // runner, the tools, untrusted uploads, secrets.
        .testTarget(
            name: "CutlineEndToEndTests",
            dependencies: liveTestDependencies,
            swiftSettings: swiftSettings
        ),
        // The page in real Chromium against the running services.
        .testTarget(
            name: "CutlineBrowserTests",
            dependencies: liveTestDependencies,
            swiftSettings: swiftSettings
        ),
        // A MediaProcessor killed mid-job, and what it does when it comes back.
        .testTarget(
            name: "CutlineCrashTests",
            dependencies: liveTestDependencies,
            swiftSettings: swiftSettings
        ),
        // The Gateway's HTTP contract: every route and error on its router in process, the live Gateway
        // with curl, and schemathesis against openapi.yaml.
        .testTarget(
            name: "CutlineHTTPContractTests",
            dependencies: [
                "CutlineGatewayApp", "CutlineJobFlow", "CutlineJobStore", "CutlineSettings", "CutlineSQLite", "CutlineStorage", "CutlineCore",
                "CutlineTestSupport", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "CutlineProductTestSupport", "CutlineServiceHost", "CutlineOutbox", "CutlineRPC", "CutlineContracts",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutlineTextEnginesTests",
            dependencies: ["CutlineTextEngines", "CutlineCore", "CutlineHTTP", "CutlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CutlineServiceTests", dependencies: ["CutlineBlobStore", "CutlineTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CutlineAWSTests",
            dependencies: ["CutlineAWS", "CutlineTestSupport"],
            resources: [.copy("Vectors")],
            swiftSettings: swiftSettings
        ),
    ]
)
