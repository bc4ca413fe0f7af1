import Foundation
import PlanJournalCore

/// Paths of the repository, the shared contract examples and the sample journals.
public enum Fixtures {
    /// The repository's root folder.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `../shared/contract` beside the repository.
    public static let contract = repositoryRoot + "/../shared/contract"

    /// `valid.jsonl` of the contract.
    public static let validContract = contract + "/valid.jsonl"

    /// Every file of `contract/invalid/`, sorted.
    public static var invalidContractFiles: [String] {
        let dir = contract + "/invalid"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") }.sorted().map { dir + "/" + $0 }
    }

    /// The lines of a file.
    public static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The built `planj` binary ($PLANJ_BIN, else .build/debug or .build/release).
    public static var planjBinary: String? {
        if let env = ProcessInfo.processInfo.environment["PLANJ_BIN"] { return env }
        for candidate in [".build/debug/planj", ".build/release/planj"] {
            let path = repositoryRoot + "/" + candidate
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
