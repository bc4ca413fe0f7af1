import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTools

extension Planj {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Step through a recorded run, or re-execute it with another executor as a fork.",
            discussion: """
                Without --executor: an audit of the run, one entry per event with what it changed (step
                statuses, plan version, tokens and cost so far); JSON Lines with --json or when the output
                is not a terminal. --at SEQ or --step ID start there.

                With --executor SPEC: the recorded plan runs again with that executor as a new run forked
                from the original (events before the fork point are read through it), then the two are
                compared (as `planj diff`). `recorded` answers from the journal: `--executor recorded`
                with the default `--planner recorded` is a deterministic replay that must reproduce the
                original outcome. The planner is only asked when the fork needs a replan.
                  planj replay RUN --executor recorded
                  planj replay RUN --executor openai:gpt-4o-mini@https://api.openai.com/v1 --from-step compare
                Exit status with --executor: 0 when the fork agrees with the original, 1 when it differs.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: "Audit: start at this seq.")
        var at: Int64?

        @Option(help: "Audit: start at this step's first event.")
        var step: String?

        @Option(help: ArgumentHelp("Re-execute with this executor (recorded, demo, cmd:…, openai:…).", valueName: "spec"))
        var executor: String?

        @Option(help: ArgumentHelp("The planner for replans the original did not have (recorded or a spec).", valueName: "spec"))
        var planner: String = "recorded"

        @Option(help: "Re-execute from this seq (the fork shares 1...SEQ-1).")
        var from: Int64?

        @Option(help: "Re-execute from this step's first start.")
        var fromStep: String?

        @Option(name: .customLong("as"), help: ArgumentHelp("The fork's run id (default: RUN.replay-N).", valueName: "id"))
        var forkID: String?

        @Flag(help: "JSON output.")
        var json = false

        @Flag(help: "No progress lines on stderr.")
        var quiet = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let journal = try global.open()
                if let executor {
                    try await reexecute(journal, executor: executor)
                } else {
                    try audit(journal)
                }
            }
        }

        private func audit(_ journal: Journal) throws {
            let events = try journal.events(of: run)
            var entries = ReplayEntry.entries(run: run, events: events)
            if let at { entries.removeAll { $0.seq < at } }
            if let step {
                guard let first = events.first(where: { $0.dataString("step_id") == step }) else {
                    throw JournalError(.notFound, "run \(run) has no event of step \(step)", context: .init(run: run))
                }
                entries.removeAll { $0.seq < first.seq }
            }
            for entry in entries {
                if json || !Output.stdoutIsTerminal {
                    Output.json(entry, pretty: false)
                } else {
                    var line = String(format: "[%4lld] %@ %@", entry.seq, entry.kind.padding(toLength: 16, withPad: " ", startingAt: 0), entry.actor ?? "")
                    if let v = entry.planVersion { line += "  plan v\(v.from.map(String.init) ?? "-") → v\(v.to.map(String.init) ?? "-")" }
                    for (id, c) in entry.steps.sorted(by: { $0.key < $1.key }) { line += "  \(id): \(c.from ?? "-") → \(c.to ?? "-")" }
                    line += String(format: "   (%lld tokens, $%.4f)", entry.tokens, entry.costUSD)
                    Output.line(line)
                }
            }
        }

        private func reexecute(_ journal: Journal, executor spec: String) async throws {
            let replayer = Replayer(journal: journal)
            let seq = try from.map { $0 - 1 } ?? replayer.forkPoint(of: run, step: fromStep)
            let plannerAdapter = try planner == "recorded" ? nil : Adapters.planner(planner)
            let executorAdapter = try spec == "recorded" ? nil : Adapters.executor(spec)
            let tools = spec == "demo" ? DemoExecutor.tools : ToolRegistry()
            let id = try forkID ?? nextForkID(journal)
            let result = try await replayer.reexecute(
                run, at: seq, as: id, planner: plannerAdapter, executor: executorAdapter,
                tools: tools, observer: RunDriver.observer(quiet: quiet))
            let diff = try RunDiff(run, result.run, in: journal)
            if json {
                Output.json(ReplayJSON(fork: result.run, forkSeq: seq, diff: diff))
            } else {
                Output.line("fork \(result.run) of \(run) at seq \(seq): \(result.status)\n")
                Output.line(DiffText.render(diff, markdown: false))
            }
            if !diff.agree { throw ExitCode(1) }
        }

        private func nextForkID(_ journal: Journal) throws -> String {
            var n = 1
            while (try? journal.run("\(run).replay-\(n)")) != nil { n += 1 }
            return "\(run).replay-\(n)"
        }
    }
}

/// The `--json` result of a re-execution.
struct ReplayJSON: Encodable {
    var fork: String
    var forkSeq: Int64
    var diff: RunDiff
}
