import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract: "Follow a run live: its plan as a tree with each step's status, replans as they occur.",
            discussion: HelpText.reflow("""
                Works on runs being written by `planj run` in another terminal, by other agents through
                `planj append` or `ingest`, and on finished runs (it replays them and stops). On a terminal
                the tree is redrawn after each event; otherwise one line per step transition is printed,
                then the final tree. Stops after `run.completed`, or on Ctrl-C.
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: ArgumentHelp("How often to look for new events, in milliseconds (10 to 3600000).", valueName: "ms"))
        var interval: Int = 200

        @Flag(help: "Print each event as a JSON line instead (like `events`, but following).")
        var json = false

        @Flag(help: "Wait for the run to appear when the journal does not hold it yet (start watching before the agent starts).")
        var wait = false

        func validate() throws {
            // 0 looked in a loop that kept a core busy (and a PostgreSQL server with it).
            guard (10...3_600_000).contains(interval) else {
                throw ValidationError("--interval \(interval): give 10 to 3600000 milliseconds")
            }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                // With --wait, the journal may be made by the agent about to start.
                let journal = try wait ? global.open() : global.openExisting()
                do {
                    _ = try journal.run(run)
                } catch let error as JournalError where error.code == .notFound && wait {
                    Output.error("planj: watch: waiting for run \(run) to start (Ctrl-C to stop)")
                    while (try? journal.run(run)) == nil { try await Task.sleep(for: .milliseconds(interval)) }
                }
                let redraw = Output.stdoutIsTerminal && !json
                var state = PlanState(run: run)
                let projection = PlanProjection()
                func draw(_ event: JournalEvent) {
                    Output.clearScreen()
                    Output.line(PlanTree.render(state) + "\n\n" + (ProgressLine.render(event) ?? ""))
                }
                var from: Int64 = 1
                if redraw {
                    // What the journal holds already is drawn once, from its state (read from the
                    // nearest snapshot): a long run is neither folded from its start nor drawn again
                    // for each of its events while catching up.
                    state = try journal.state(of: run)
                    if state.seq > 0, let last = try journal.events(of: run, from: state.seq, to: state.seq).first {
                        draw(last)
                        if last.knownKind == .runCompleted { return }
                        from = last.seq + 1
                    }
                }
                for try await event in journal.subscribe(to: run, from: from, pollInterval: .milliseconds(interval)) {
                    projection.apply(&state, event)
                    if json {
                        Output.line(event.jsonLine)
                    } else if redraw {
                        draw(event)
                    } else if let line = ProgressLine.render(event) {
                        Output.line(line)
                    }
                }
                if !json && !redraw { Output.line("\n" + PlanTree.render(state)) }
            }
        }
    }
}

/// The current plan as a tree: each step under the step it depends on last, with its status.
enum PlanTree {
    /// Levels of indentation at most; deeper steps are listed at this depth.
    static let maxDepth = 24

    static func render(_ s: PlanState) -> String {
        var out = ["run \(s.run): \(s.status)" + (s.currentPlan.map { ", plan v\($0.version) of \(s.plans.count)" } ?? "")]
        if let goal = s.goal { out.append("goal: \(TextTable.clip(goal, 100))") }
        guard let plan = s.currentPlan else { return (out + ["(no plan yet)"]).joined(separator: "\n") }
        let ids = Set(plan.steps.map(\.id))
        var children: [String: [PlanStep]] = [:]
        var roots: [PlanStep] = []
        for step in plan.steps {
            if let parent = step.dependsOn.last(where: ids.contains) {
                children[parent, default: []].append(step)
            } else {
                roots.append(step)
            }
        }
        // Depth first, without recursion (a chain of 100,000 steps is as deep), indented at most
        // `maxDepth` levels (a deep chain's lines would otherwise grow with their depth).
        struct Level {
            var steps: [PlanStep]
            var next = 0
            var prefix: String
            var depth: Int
        }
        var stack = [Level(steps: roots, prefix: "", depth: 0)]
        while let top = stack.last {
            guard top.next < top.steps.count else {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].next += 1
            let step = top.steps[top.next]
            let last = top.next == top.steps.count - 1
            let st = s.step(step.id)
            var line = top.prefix + (last ? "└─ " : "├─ ") + "\(icon(st?.status ?? .pending)) \(step.id) [\(st?.status.rawValue ?? "pending")]"
            if let st, st.attempts > 1 { line += " attempt \(st.attempts)" }
            let others = step.dependsOn.dropLast().filter(ids.contains)
            if !others.isEmpty { line += " (also after \(others.joined(separator: ", ")))" }
            if let detail = st?.error ?? st?.outputSummary { line += ": " + TextTable.clip(detail.replacingOccurrences(of: "\n", with: " "), 60) }
            out.append(line)
            if let kids = children[step.id], !kids.isEmpty {
                let prefix = top.depth < maxDepth ? top.prefix + (last ? "   " : "│  ") : top.prefix
                stack.append(Level(steps: kids, prefix: prefix, depth: top.depth + 1))
            }
        }
        for r in s.replans { out.append("replan at seq \(r.seq): \(r.reason)\(r.stepID.map { " (\($0))" } ?? "")") }
        return out.joined(separator: "\n")
    }

    static func icon(_ status: PlanState.StepStatus) -> String {
        switch status {
        case .pending: "·"
        case .awaitingApproval: "?"
        case .running: "▶"
        case .completed: "✓"
        case .failed: "✗"
        case .skipped: "-"
        case .denied: "⊘"
        case .removed: "~"
        }
    }
}
