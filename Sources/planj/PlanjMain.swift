import ArgumentParser
import Foundation
import PlanJournalCLI
import PlanJournalStore

@main
struct PlanjMain {
    /// Runs `planj`; a usage error the argument parser finds exits 2, like every other usage error
    /// (the parser's own status would be 64).
    static func main() async {
        StandardDescriptors.openIfClosed()
        AllocatorTuning.apply()
        do {
            var command = try Planj.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            guard Planj.exitCode(for: error) == .validationFailure else { Planj.exit(withError: error) }
            try? FileHandle.standardError.write(contentsOf: Data((Planj.fullMessage(for: error) + "\n").utf8))
            exit(2)
        }
    }
}
