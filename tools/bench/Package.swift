// swift-tools-version: 6.2
// Benchmarks of PlanJournal's library API (append, group commit, rebuild, time travel).
// Build: swift build -c release --package-path tools/bench   (run from the repository root)
import PackageDescription

let package = Package(
    name: "PlanJournalBench",
    products: [
        .executable(name: "planj-bench", targets: ["PlanJournalBench"])
    ],
    dependencies: [
        .package(name: "PlanJournal", path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "PlanJournalBench",
            dependencies: [
                .product(name: "PlanJournalStore", package: "PlanJournal"),
                .product(name: "PlanJournalCore", package: "PlanJournal"),
                .product(name: "PlanJournalRuntime", package: "PlanJournal"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .treatAllWarnings(as: .error),
            ]
        )
    ]
)
