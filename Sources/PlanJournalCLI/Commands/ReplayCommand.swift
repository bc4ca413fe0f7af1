import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTools

extension Planj {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Step through a recorded run, or re-execute it with another executor as a fork.",
            discussion: HelpText.reflow("""
                Without --executor: an audit of the run, one entry per event with what it changed (step
                statuses, plan version, tokens and cost so far). On a terminal (or with --interactive) it is
                a browser: Enter/n next, p previous, g SEQ jump, s STEP a step's first event, /TEXT search,
                q quit. Otherwise, and with --json, JSON Lines. --at SEQ or --step ID start there.

                With --executor SPEC: the recorded plan runs again with that executor as a new run forked
                from the original (events before the fork point are read through it), then the two are
                compared (as `planj diff`). `recorded` answers from the journal: `--executor recorded`
                with the default `--planner recorded` is a deterministic replay that must reproduce the
                original outcome. The planner is only asked when the fork needs a replan. The fork runs
                with the original's recorded limits (--parallel, --max-attempts, --max-replans,
                --max-steps, --budget-usd, --timeout), tools (--tool) and prices (--price) unless given
                here (--all: the ones given here). Approval points get the original's decisions,
                journaled as the policy's (naming who decided); with --approve the fork's own policy
                decides them instead (ask: wait for planj approve).
                  planj replay RUN --executor recorded
                  planj replay RUN --from-step compare \\
                      --executor openai:gpt-4o-mini@https://api.openai.com/v1
                  planj replay --all --status succeeded --concurrency 4 \\
                      --executor 'cmd:python3 my_executor.py'

                --all re-executes many runs and prints a summary (steps same / differing / newly failing /
                fixed, cost and time deltas per run); --json for CI.
                Exit status with --executor: 0 when every fork agrees with its original, 1 otherwise.
                """))

        @OptionGroup var global: GlobalOptions

        /// `RUN`, or `--all` (with --executor: every run re-executed, a regression check).
        @OptionGroup var selection: RunSelection

        @Option(help: "With --all: runs re-executed at once.")
        var concurrency = 2

        @Option(help: "Audit: start at this seq.")
        var at: Int64?

        @Option(help: "Audit: start at this step's first event.")
        var step: String?

        @Option(help: ArgumentHelp("Re-execute with this executor (recorded, demo, cmd:…, openai:…).", valueName: "spec"))
        var executor: String?

        @Option(
            help: ArgumentHelp(
                "The planner: recorded (the original's plans, and its own planner only for replans the original did not have) or a spec.",
                valueName: "spec"))
        var planner: String = "recorded"

        @Option(
            name: .customLong("override"),
            help: ArgumentHelp(
                "Replace a step's output with a file's content (less one line break at its end) in the fork (repeatable; what-if forks).",
                valueName: "step_id=file"))
        var overrides: [String] = []

        @Option(
            help: ArgumentHelp(
                "Where the fork's tool calls are answered: recorded, live, or recorded-else-live.",
                valueName: "mode"))
        var tools: String = ToolMode.recordedElseLive.rawValue

        @Option(name: .customLong("tool"), help: ArgumentHelp("A live tool (repeatable).", valueName: "name=cmd:PROGRAM ARGS"))
        var liveTools: [String] = []

        @Option(help: "Re-execute from this seq (the fork shares 1...SEQ-1).")
        var from: Int64?

        @Option(help: "Re-execute from this step's first start.")
        var fromStep: String?

        @Option(name: .customLong("as"), help: ArgumentHelp("The fork's run id (default: RUN.replay-N).", valueName: "id"))
        var forkID: String?

        @Flag(help: "Browse the run event by event (the default when standard input and output are terminals).")
        var interactive = false

        /// For `openai:` planners and executors, as `planj run` takes them.
        @OptionGroup var openAI: OpenAIFlags

        /// The fork's limits, over the original's recorded ones.
        @OptionGroup var limits: RunnerFlags

        @OptionGroup var output: RunOutputFlags

        func validate() throws {
            // Options of one mode given to the other would be ignored without a word.
            if executor == nil {
                let reexecution = [
                    ("--planner", planner != "recorded"), ("--override", !overrides.isEmpty),
                    ("--tools", tools != ToolMode.recordedElseLive.rawValue), ("--tool", !liveTools.isEmpty),
                    ("--from", from != nil), ("--from-step", fromStep != nil), ("--as", forkID != nil),
                ].filter(\.1).map(\.0) + limits.given
                if let first = reexecution.first {
                    throw ValidationError("\(first) re-executes the run: give --executor too (without it, replay only steps through the recording)")
                }
            } else if let audit = [("--at", at != nil), ("--step", step != nil), ("--interactive", interactive)].first(where: \.1) {
                throw ValidationError("\(audit.0) is for stepping through a recording: leave out --executor, or use --from/--from-step to re-execute from a point")
            } else if selection.all,
                let one = [("--override", !overrides.isEmpty), ("--from", from != nil), ("--from-step", fromStep != nil), ("--as", forkID != nil)]
                    .first(where: \.1)
            {
                throw ValidationError("\(one.0) is for re-executing one run: with --all, each run is re-executed from its own first step")
            }
        }

        func run() async throws {
            try await reportingErrors(json: output.json, verbose: global.verbose) {
                let journal = try global.openExisting()
                // What the forks appended goes into the database file, not the append log and WAL.
                defer { try? journal.close() }
                if selection.all {
                    guard let executor else { throw ValidationError("--all needs --executor") }
                    try await reexecuteAll(journal, executor: executor)
                    return
                }
                guard let run = selection.run else { throw ValidationError("give a run id, or --all with --executor") }
                if let executor {
                    try await reexecute(journal, run: run, executor: executor)
                } else {
                    try audit(journal, run: run)
                }
            }
        }

        private func audit(_ journal: Journal, run: String) throws {
            let events = try journal.events(of: run)
            var entries = ReplayEntry.entries(run: run, events: events)
            if let at {
                guard (1...Int64(events.count)).contains(at) else {
                    throw JournalError(
                        .usage, "--at \(at): the run has \(events.count) events", context: .init(journalPath: journal.displayPath, run: run))
                }
                entries.removeAll { $0.seq < at }
            }
            if let step {
                guard let first = events.first(where: { $0.dataString("step_id") == step }) else {
                    throw JournalError(.usage, "--step \(step): no event of the run names this step", context: .init(run: run))
                }
                entries.removeAll { $0.seq < first.seq }
            }
            if !output.json && (interactive || (Output.stdoutIsTerminal && isatty(0) == 1)) {
                let all = ReplayEntry.entries(run: run, events: events)
                let start = all.firstIndex { $0.seq == entries.first?.seq } ?? 0
                ReplayBrowser(run: run, events: events, entries: all).browse(from: start) { readLine() }
                return
            }
            for entry in entries {
                if output.json || !Output.stdoutIsTerminal {
                    Output.json(entry, pretty: false)
                } else {
                    var line = String(format: "[%4lld] %@ %@", entry.seq, entry.kind.padding(toLength: 16, withPad: " ", startingAt: 0), entry.actor ?? "")
                    if let v = entry.planVersion { line += "  plan v\(v.from.map(String.init) ?? "-") → v\(v.to.map(String.init) ?? "-")" }
                    for (id, c) in entry.steps.sorted(by: { $0.key < $1.key }) { line += "  \(id): \(c.from ?? "-") → \(c.to ?? "-")" }
                    line += "   (\(entry.tokens) tokens, \(entry.costUSD.dollarText))"
                    Output.line(line)
                }
            }
        }

        private func reexecute(_ journal: Journal, run: String, executor spec: String) async throws {
            let replayer = Replayer(journal: journal)
            let replaced = try readOverrides()
            if !replaced.isEmpty {
                let steps = try journal.state(of: run).plans.flatMap { $0.steps.map(\.id) }
                for step in replaced.keys.sorted() where !steps.contains(step) {
                    var seen: Set<String> = []
                    let named = steps.filter { seen.insert($0).inserted }
                    let list = named.prefix(12).joined(separator: ", ") + (named.count > 12 ? ", …" : "")
                    throw RuntimeError("usage", "--override \(step)=…: run \(run) has no step \(step) (its steps: \(list))")
                }
            }
            // A what-if fork starts where the first overridden step first started, unless told otherwise.
            let firstOverride = try replaced.keys.min { try replayer.forkPoint(of: run, step: $0) < replayer.forkPoint(of: run, step: $1) }
            let seq = try from.map { $0 - 1 } ?? replayer.forkPoint(of: run, step: fromStep ?? firstOverride)
            let id = try forkID ?? Self.nextForkID(of: run, at: seq, in: journal)
            // What the original recorded stands where nothing is given: its tools, and its prices.
            let recorded = try RecordedSpecs.recorded(of: run, in: journal)?.0
            let http = try openAI.settings().adding(recorded?.prices ?? [:])
            let toolSpecs = liveTools.isEmpty ? recorded?.tools ?? [] : liveTools
            let (plannerAdapter, executorAdapter, mode) = (
                try adapter(planner, { try Adapters.planner($0, http: $1) }, http), try adapter(spec, { try Adapters.executor($0, http: $1) }, http), try toolMode()
            )
            let fallback = try Self.recordedPlanner(of: run, in: journal, executor: spec, http: http)
            if fallback == nil && spec != "recorded" && planner == "recorded" {
                Output.error(
                    "planj: note: run \(run) recorded no planner: a replan the recording does not have is not made "
                        + "(give --planner SPEC to make them)")
            }
            // The recorded tools run where the original started; those given here, here.
            let tools = try Adapters.tools(
                toolSpecs, demo: spec == "demo" || recorded?.executor == "demo", directory: liveTools.isEmpty ? recorded?.directory : nil)
            let options = try limits.options(base: replayer.recordedOptions(of: run))
            let specs = RecordedSpecs(planner: planner, executor: spec, tools: toolSpecs, prices: http.prices).members
            let observer = RunDriver.observer(quiet: output.quiet)
            // Ctrl-C cancels the fork's run, journaled as cancelled, as `planj run` does.
            let result = try await RunDriver.cancellable {
                try await replayer.reexecute(
                    run, at: seq, as: id, planner: plannerAdapter, executor: executorAdapter, overrides: replaced, toolMode: mode,
                    fallbackPlanner: fallback, tools: tools, options: options, recordedDecisions: limits.approve == nil,
                    specs: specs, observer: observer)
            }
            let (original, fork) = (try journal.events(of: run), try journal.events(of: result.run))
            let diff = RunDiff(run, events: original, result.run, events: fork)
            let drift = ObservationDrift.find(original: original, fork: fork)
            if output.json {
                Output.json(ReplayJSON(fork: result.run, forkSeq: seq, diff: diff, drift: drift))
            } else {
                Output.line("fork \(result.run) of \(run) at seq \(seq): \(result.status)\n")
                Output.line(DiffText.render(diff, markdown: false))
                for d in drift {
                    Output.line("observation drifted: step \(d.stepID), tool \(d.tool), seq \(d.seq) (\(d.recordedBytes) bytes recorded, \(d.liveBytes) live)")
                }
            }
            if !diff.agree { throw ExitCode(1) }
        }

        /// Re-executes every selected run, `concurrency` at a time, and prints the summary.
        private func reexecuteAll(_ journal: Journal, executor spec: String) async throws {
            // A run still being written has no outcome to compare with yet (unless asked for).
            var stillRunning: [ReplayOutcome] = []
            let runs = try selection.runs(in: journal).filter { run in
                guard selection.status == nil, try journal.run(run).status == "running" else { return true }
                stillRunning.append(ReplayOutcome(run: run, error: "still running, so there is no outcome to compare with (--status running replays it)"))
                return false
            }
            let replayer = Replayer(journal: journal)
            let http = try openAI.settings()
            let plannerAdapter = try adapter(planner, { try Adapters.planner($0, http: $1) }, http)
            let executorAdapter = try adapter(spec, { try Adapters.executor($0, http: $1) }, http)
            let tools = try Adapters.tools(liveTools, demo: spec == "demo")
            let mode = try toolMode()
            let specs = RecordedSpecs(planner: planner, executor: spec, tools: liveTools, prices: http.prices).members
            let recordedDecisions = limits.approve == nil
            let quiet = output.quiet
            let concurrency = concurrency
            var options: [String: RunnerOptions] = [:]
            for run in runs { options[run] = try limits.options(base: replayer.recordedOptions(of: run)) }
            let chosen = options
            // Ctrl-C cancels the runs under way, journaled as cancelled.
            var (outcomes, interrupted) = try await RunDriver.cancellable { () async throws -> ([ReplayOutcome], Bool) in
                var outcomes: [ReplayOutcome] = []
                try await withThrowingTaskGroup(of: ReplayOutcome.self) { group in
                    var next = 0
                    func launch() throws {
                        let run = runs[next]
                        // (A run with no fork point fails in its task, with the others going on.)
                        let id = try Self.nextForkID(of: run, at: (try? replayer.forkPoint(of: run)) ?? -1, in: journal)
                        next += 1
                        group.addTask {
                            do {
                                let seq = try replayer.forkPoint(of: run)
                                let result = try await replayer.reexecute(
                                    run, at: seq, as: id, planner: plannerAdapter, executor: executorAdapter, toolMode: mode,
                                    tools: tools, options: chosen[run], recordedDecisions: recordedDecisions, specs: specs)
                                return ReplayOutcome(try RunDiff(run, result.run, in: journal))
                            } catch {
                                return ReplayOutcome(run: run, error: (error as? RuntimeError)?.message ?? "\(error)")
                            }
                        }
                    }
                    while next < min(max(1, concurrency), runs.count) { try launch() }
                    while let outcome = try await group.next() {
                        outcomes.append(outcome)
                        if !quiet {
                            let verdict = outcome.error.map { "skipped: \($0)" } ?? (outcome.agree ? "agrees" : "differs")
                            Output.error("[\(outcomes.count)/\(runs.count)] \(outcome.run): \(verdict)")
                        }
                        if next < runs.count { try launch() }
                    }
                }
                // Forks Ctrl-C cancelled say nothing of the executor.
                let interrupted = Task.isCancelled
                if interrupted {
                    for k in outcomes.indices where outcomes[k].forkStatus == "cancelled" && !outcomes[k].agree {
                        outcomes[k].interrupted = true
                    }
                }
                return (outcomes, interrupted)
            }
            outcomes += stillRunning
            outcomes.sort { $0.run < $1.run }
            if output.json {
                Output.json(outcomes)
            } else {
                var table = TextTable(header: ["RUN", "FORK", "RESULT", "SAME", "DIFFER", "NEWLY FAILING", "FIXED", "Δ COST", "Δ TIME"])
                for o in outcomes {
                    table.rows.append([
                        o.run, o.fork ?? "-", Self.verdict(o), String(o.same),
                        String(o.differing), String(o.newlyFailing), String(o.fixed), String(format: "%+.4f", o.costUSDDelta),
                        o.durationMsDelta.map { String(format: "%+.0f ms", $0) } ?? "-",
                    ])
                }
                Output.line(table.render(maxWidth: 40))
                let replayed = outcomes.filter { $0.error == nil && !$0.interrupted }
                let cut = outcomes.filter(\.interrupted).count
                Output.line(
                    "\(Output.count(replayed.count, "run")) re-executed: \(replayed.filter(\.agree).count) agree, "
                        + "\(replayed.filter { !$0.agree }.count) differ; \(outcomes.filter { $0.error != nil }.count) skipped"
                        + (cut > 0 ? "; \(cut) cut short by Ctrl-C" : ""))
                for o in outcomes where o.error != nil { Output.error("planj: \(o.run) skipped: \(o.error ?? "")") }
            }
            if interrupted { throw ExitCode(130) }
            if outcomes.contains(where: { $0.error == nil && !$0.agree }) { throw ExitCode(1) }
        }

        /// A fork's outcome in a word.
        private static func verdict(_ o: ReplayOutcome) -> String {
            if o.error != nil { return "skipped" }
            if o.interrupted { return "interrupted" }
            return o.agree ? "agrees" : "differs"
        }

        private func toolMode() throws -> ToolMode {
            guard let mode = ToolMode(rawValue: tools) else {
                throw ValidationError("--tools must be recorded, live or recorded-else-live")
            }
            return mode
        }

        /// `--override STEP_ID=FILE` as output by step id.
        private func readOverrides() throws -> [String: String] {
            var result: [String: String] = [:]
            for item in overrides {
                guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                    throw ValidationError("--override must be STEP_ID=FILE, not '\(item)'")
                }
                let path = String(item[item.index(after: eq)...])
                guard FileManager.default.fileExists(atPath: path) else { throw JournalError.cannotOpen(path, errno: ENOENT) }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw JournalError(.io, "cannot read the override file as UTF-8 text", context: .init(file: path))
                }
                // One line break at the end is the file's, not the output's (`echo text > FILE`).
                result[String(item[..<eq])] = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
            }
            if !result.isEmpty && executor == "recorded" {
                Output.error(
                    "planj: note: with --executor recorded, the steps after an overridden one keep their recorded "
                        + "outputs; a live executor (--executor SPEC) plays the what-if out")
            }
            return result
        }

        /// `nil` for `recorded` (answers from the journal), else the adapter the spec names.
        private func adapter<T>(_ spec: String, _ make: (String, OpenAISettings) throws -> T, _ http: OpenAISettings) throws -> T? {
            spec == "recorded" ? nil : try make(spec, http)
        }

        /// For replans a recorded run does not have: the planner `planj run` recorded for it (not for
        /// a deterministic replay, which must not call anything live).
        static func recordedPlanner(
            of run: String, in journal: Journal, executor: String, http: OpenAISettings
        ) throws -> (any Planner)? {
            guard executor != "recorded",
                let spec = try RecordedSpecs.recorded(of: run, in: journal)?.0.planner
            else { return nil }
            return try Adapters.planner(spec, http: http)
        }

        /// The executor spec `planj run` recorded for `run`, if it did.
        static func recordedExecutor(of run: String, in journal: Journal) throws -> String? {
            try RecordedSpecs.recorded(of: run, in: journal)?.0.executor
        }

        /// `RUN.replay-N` for the first N that names no run, or a fork of `run` at `seq` that a
        /// killed re-execution left without an event of its own (taken up again).
        private static func nextForkID(of run: String, at seq: Int64, in journal: Journal) throws -> String {
            var n = 1
            while (try? journal.run("\(run).replay-\(n)")) != nil {
                if try Replayer.isUnstartedFork("\(run).replay-\(n)", of: run, at: seq, in: journal) { break }
                n += 1
            }
            return "\(run).replay-\(n)"
        }
    }
}

/// The `--json` result of a re-execution.
struct ReplayJSON: Encodable {
    var fork: String
    var forkSeq: Int64
    var diff: RunDiff
    var drift: [ObservationDrift]
}
