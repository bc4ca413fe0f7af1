import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

extension Planj {
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel",
            abstract: "Cancel a run, wherever it is driven.",
            discussion: HelpText.reflow("""
                Appends a `note` asking for the run's cancellation (`"cancel": true`). The process driving
                the run (`planj run`, `resume` or `replay`, on this machine or another that writes the
                journal) stops at its next look at the journal: steps running are cut off, steps left
                are skipped, and the run completes as `cancelled`. A run planj drove that nobody drives
                now (its process crashed, or it waits for `planj resume`) is completed as cancelled here
                and now; a run another agent writes (`planj append`) is left for that agent to complete.
                  planj cancel RUN
                  planj cancel RUN --reason "wrong goal" --as ana
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: "Why (recorded in the note and in the run's error).")
        var reason: String?

        @Option(name: .customLong("as"), help: ArgumentHelp("Who cancels (default: $USER, else cli).", valueName: "name"))
        var actor: String?

        @Flag(help: "Print what was done as JSON: run, seq of the note, and whether it completed here.")
        var json = false

        func validate() throws {
            if actor?.isEmpty == true { throw ValidationError("--as needs a name: who cancels goes into the audit trail") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                try await global.withJournal { journal in
                    let note = try await journal.requestCancel(run: run, actor: "human:\(HumanActor.name(actor))", reason: reason)
                    // What deciding needs: `run.started` and the notes, not the whole run (a long
                    // run holds millions of events).
                    var events: [JournalEvent] = []
                    try journal.forEachEvent(of: run) { e in
                        if e.knownKind == .runStarted || e.knownKind == .note { events.append(e) }
                    }
                    let ours = Self.drivenByPlanj(events)
                    let completed = ours ? try await Self.completeUndriven(run, events: events, in: journal) : false
                    if json {
                        Output.line(
                            JSONValue.record([
                                "run": .string(run), "seq": .int(note.seq), "completed_here": .bool(completed),
                                "driven_by_planj": .bool(ours),
                            ]).jsonText)
                    } else if completed {
                        Output.line("run \(run) cancelled (seq \(note.seq)); no process was driving it")
                    } else if ours {
                        Output.line("asked to cancel run \(run) (seq \(note.seq)); the process driving it stops it (follow it with `planj watch \(run)`)")
                    } else {
                        Output.line(
                            "asked to cancel run \(run) (seq \(note.seq)); another agent writes it, and completes it when it reads the note")
                    }
                }
            }
        }

        /// Whether planj's runner drives the run (`planj run` or a library `PlanRunner`, a replay's
        /// fork): a run another agent writes (`planj append`, `ingest`) is that agent's to complete.
        static func drivenByPlanj(_ events: [JournalEvent]) -> Bool {
            events.first { $0.knownKind == .runStarted }?.data("agent")?["name"]?.stringValue == "planj"
                || events.contains { $0.knownKind == .note && $0.data("replay_of") != nil }
        }

        /// Completes `run` as cancelled when no process drives it; `false` when another process
        /// drives it (or completed it meanwhile). `events`: its `run.started` and notes, at least.
        static func completeUndriven(_ run: String, events: [JournalEvent], in journal: Journal) async throws -> Bool {
            let refusing = RuntimeError("cancelled", "the run is being cancelled")
            let runner = PlanRunner(
                journal: journal, planner: ClosurePlanner(name: "none") { _ in throw refusing },
                executor: ClosureExecutor(name: "none") { _, _ in throw refusing },
                options: RunnerOptions(lastDriven: events))
            do {
                _ = try await runner.completeCancelled(run: run)
                return true
            } catch let error as JournalError where error.code == .conflict {
                return false
            } catch let error as RuntimeError where error.type == RuntimeError.Types.alreadyCompleted {
                return false
            }
        }
    }
}
