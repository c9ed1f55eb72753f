// swift-tools-version:6.2
import PackageDescription

// Every target builds in Swift 6 language mode with strict concurrency (the default of
// tools version 6), and with the upcoming features the server ecosystem already uses.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]
// Tests reach into many modules of the stack; spelling out each one's import adds nothing there.
let testSwiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "longrun",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "longrun", targets: ["LongrunCLI"]),
        .executable(name: "longrun-bench", targets: ["LongrunBench"]),
        .library(name: "LongrunCore", targets: ["LongrunCore"]),
        .library(name: "LongrunClient", targets: ["LongrunClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Domain model, state machine, handler protocol, store protocols. No I/O.
        .target(
            name: "LongrunCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        // Every SQL statement of the project, and the migrator over the bundled `sql/`.
        .target(
            name: "LongrunPostgres",
            dependencies: [
                "LongrunCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only for ConnectionPoolError, which PostgresClient throws but does not re-export.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("../../sql")],
            swiftSettings: swiftSettings
        ),
        // A private PostgreSQL server for `longrun dev`, tests and benchmarks.
        .target(
            name: "LongrunLocalPostgres",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LongrunAPI",
            dependencies: [
                "LongrunCallbacks",
                "LongrunCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("../../openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // The worker service: claim loop, slots, heartbeat, rescue, cancellation, maintenance.
        .target(
            name: "LongrunWorker",
            dependencies: [
                "LongrunCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Callback URL destinations judged by what their host resolves to (the SSRF guard's
        // I/O half), shared by the API at create time and the notifier at send time.
        .target(name: "LongrunCallbacks", dependencies: ["LongrunCore"], swiftSettings: swiftSettings),
        // The notifier service: claims outbox rows, signs and sends them, retries, records attempts.
        .target(
            name: "LongrunNotifier",
            dependencies: [
                "LongrunCallbacks",
                "LongrunCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Swift client of the API: submit, get, list, cancel, delete, logs, wait, events.
        .target(
            name: "LongrunClient",
            dependencies: [
                "LongrunCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `longrun`: flags, environment, and the ServiceGroup. Wiring only.
        .executableTarget(
            name: "LongrunCLI",
            dependencies: [
                "LongrunAPI",
                "LongrunClient",
                "LongrunCore",
                "LongrunLocalPostgres",
                "LongrunNotifier",
                "LongrunPostgres",
                "LongrunWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `longrun-bench`: figures beside baselines measured in the same run.
        .executableTarget(
            name: "LongrunBench",
            dependencies: [
                "LongrunAPI",
                "LongrunCore",
                "LongrunLocalPostgres",
                "LongrunNotifier",
                "LongrunPostgres",
                "LongrunTesting",
                "LongrunWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: a shared private PostgreSQL, a fresh database per suite, a webhook receiver.
        .target(
            name: "LongrunTesting",
            dependencies: [
                "LongrunCore",
                "LongrunLocalPostgres",
                "LongrunPostgres",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LongrunCoreTests", dependencies: ["LongrunCore"], swiftSettings: testSwiftSettings),
        .testTarget(
            name: "LongrunWorkerTests",
            dependencies: [
                "LongrunCore", "LongrunTesting", "LongrunWorker",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "LongrunClientTests",
            dependencies: [
                "LongrunAPI",
                "LongrunClient",
                "LongrunCore",
                "LongrunPostgres",
                "LongrunTesting",
                "LongrunWorker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "LongrunNotifierTests",
            dependencies: [
                "LongrunCore",
                "LongrunNotifier",
                "LongrunPostgres",
                "LongrunTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "LongrunPostgresTests",
            dependencies: [
                "LongrunCore",
                "LongrunLocalPostgres",
                "LongrunPostgres",
                "LongrunTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "LongrunAPITests",
            dependencies: [
                "LongrunAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "LongrunCore",
                "LongrunLocalPostgres",
                "LongrunPostgres",
                "LongrunTesting",
                "LongrunWorker",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // Every benchmark scenario once at a tiny size, so the benchmark code cannot rot.
        .testTarget(
            name: "LongrunBenchTests",
            dependencies: [
                "LongrunBench",
                "LongrunCLI",
                "LongrunTesting",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // The fleet as real processes, through scripts/cluster.
        .testTarget(
            name: "LongrunClusterTests",
            dependencies: [
                "LongrunCLI",
                "LongrunClient",
                "LongrunCore",
                "LongrunLocalPostgres",
                "LongrunTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "LongrunCLITests",
            dependencies: [
                "LongrunCLI",
                "LongrunClient",
                "LongrunCore",
                "LongrunLocalPostgres",
                "LongrunPostgres",
                "LongrunTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: testSwiftSettings
        ),
    ]
)
