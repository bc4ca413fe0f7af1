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
        if let limit = DescriptorLimit.ensure() {
            try? FileHandle.standardError.write(
                contentsOf: Data(
                    ("planj: error: planj needs at least \(DescriptorLimit.minimum) open files, and the limit is \(limit) "
                        + "(ulimit -n): raise it and try again\n").utf8))
            exit(8)
        }
        do {
            // `planj help NAME` of no command printed the overview and succeeded.
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.count >= 2, arguments[0] == "help", !arguments[1].hasPrefix("-") {
                let names = Planj.configuration.subcommands.map { $0.configuration.commandName ?? "" }
                guard names.contains(arguments[1]) else {
                    throw ValidationError("no command '\(arguments[1])': the commands are \(names.joined(separator: ", "))")
                }
            }
            var command = try Planj.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            guard Planj.exitCode(for: error) == .validationFailure else { Planj.exit(withError: error) }
            // With --json, this error is JSON too, as every other error that stops a command is.
            let arguments = CommandLine.arguments.dropFirst().prefix { $0 != "--" }
            let text =
                arguments.contains("--json")
                ? usageErrorJSON(Planj.message(for: error)) : Planj.fullMessage(for: error)
            try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
            exit(2)
        }
    }
}

/// A usage error as the JSON line errors are printed in (`{"error":{"code":"usage",…}}`).
private func usageErrorJSON(_ message: String) -> String {
    let error: [String: Any] = ["code": "usage", "exit_status": 2, "message": message]
    let data = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}
