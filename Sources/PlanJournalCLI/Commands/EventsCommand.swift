import ArgumentParser
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "events",
            abstract: "Print a run's events as JSON Lines (pipe to jq).",
            discussion: HelpText.reflow("""
                Each event as it was recorded. A fork's events up to its fork point are its parent's:
                they carry the parent's run id (select a fork's own events by seq, not by .run). To follow a run as it is written, use planj watch RUN --json.
                  planj events RUN --kind 'step.*' --from 10 | jq -c '[.seq, .kind]'
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: "The first seq to print.")
        var from: Int64 = 1

        @Option(help: "The last seq to print (default: the run's last).")
        var to: Int64?

        @Option(help: "Only events of this kind; a trailing * matches a prefix (step.*). Repeatable.")
        var kind: [String] = []

        func validate() throws {
            if let to, to < from { throw ValidationError("--to \(to) comes before --from \(from)") }
            if kind.contains("") { throw ValidationError("--kind '' matches no event: name a kind (run.started) or a prefix (step.*)") }
        }

        func run() async throws {
            try await reportingErrors(verbose: global.verbose) {
                let journal = try global.openExisting()
                var block: [UInt8] = []
                var matched = false
                // Patterns that name a family of kinds without its dot and star (`step`).
                var families: Set<String> = []
                try journal.forEachEvent(of: run, from: from, to: to ?? .max) { e in
                    guard kind.isEmpty || kind.contains(where: { Self.matches($0, e.kind) }) else {
                        for p in kind where !p.hasSuffix("*") && e.kind.hasPrefix(p + ".") { families.insert(p) }
                        return
                    }
                    matched = true
                    block.append(contentsOf: e.bytes)
                    block.append(UInt8(ascii: "\n"))
                    if block.count > 1 << 20 {
                        Output.write(block)
                        block.removeAll(keepingCapacity: true)
                    }
                }
                Output.write(block)
                guard !matched else { return }
                // Why nothing came out, where a mistake explains it.
                if let family = families.sorted().first {
                    Output.error("planj: note: no event is of kind '\(family)'; --kind '\(family).*' matches \(family).started and the others")
                }
                for pattern in kind where !pattern.hasSuffix("*") && !families.contains(pattern) && EventKind.isUnknown(pattern) {
                    let hint = EventKind.suggestion(for: pattern).map { " (did you mean \($0.rawValue)?)" } ?? ""
                    Output.error("planj: note: --kind '\(pattern)' is not a kind planj knows\(hint)")
                }
                let head = try journal.run(run).events
                if from > head {
                    Output.error("planj: note: --from \(from) is past the run's end: it has \(head) event\(head == 1 ? "" : "s")")
                }
            }
        }

        static func matches(_ pattern: String, _ kind: String) -> Bool {
            pattern.hasSuffix("*") ? kind.hasPrefix(pattern.dropLast()) : pattern == kind
        }
    }
}
