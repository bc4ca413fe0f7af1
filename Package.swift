// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "PlanJournal",
    products: [
        .executable(name: "planj", targets: ["planj"]),
        .library(name: "PlanJournalCore", targets: ["PlanJournalCore"]),
        .library(name: "PlanJournalStore", targets: ["PlanJournalStore"]),
        .library(name: "PlanJournalRuntime", targets: ["PlanJournalRuntime"]),
        .library(name: "PlanJournalTools", targets: ["PlanJournalTools"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CMalloc"
        ),
        .target(
            name: "PlanJournalCore",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlanJournalStore",
            dependencies: [
                "PlanJournalCore",
                "CLZ4",
                "CSQLite",
                "CMalloc",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlanJournalRuntime",
            dependencies: [
                "PlanJournalCore",
                "PlanJournalStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlanJournalTools",
            dependencies: [
                "PlanJournalCore", "PlanJournalStore", "PlanJournalRuntime",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlanJournalCLI",
            dependencies: [
                "PlanJournalCore",
                "PlanJournalStore",
                "PlanJournalRuntime",
                "PlanJournalTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "planj",
            dependencies: [
                "PlanJournalCLI",
                "PlanJournalStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlanJournalTestSupport",
            dependencies: ["PlanJournalCore", "PlanJournalStore", "PlanJournalRuntime"],
            path: "Tests/PlanJournalTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlanJournalCoreTests",
            dependencies: ["PlanJournalCore", "PlanJournalTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlanJournalStoreTests",
            dependencies: ["PlanJournalCore", "PlanJournalStore", "PlanJournalTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlanJournalRuntimeTests",
            dependencies: ["PlanJournalCore", "PlanJournalStore", "PlanJournalRuntime", "PlanJournalTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlanJournalToolsTests",
            dependencies: [
                "PlanJournalCore", "PlanJournalStore", "PlanJournalRuntime", "PlanJournalTools", "PlanJournalTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlanJournalCLITests",
            dependencies: ["PlanJournalCLI", "PlanJournalCore", "PlanJournalStore", "PlanJournalTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
