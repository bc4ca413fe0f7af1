import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Grant or deny an approval a run is waiting for.",
            discussion: HelpText.reflow("""
                Appends `approval.resolved` to the run. A run started with --approve ask that is waiting
                continues at once; a stopped one continues with `planj resume RUN`. Without --step, the
                run's one open request is answered (the plan's, or a single step's).
                  planj approve RUN                     grant the open request
                  planj approve RUN --step publish      grant step publish
                  planj approve RUN --deny --comment "not on Fridays"
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: "The step whose approval to decide.")
        var step: String?

        @Flag(help: "Deny instead of grant.")
        var deny = false

        @Option(help: "Why.")
        var comment: String?

        @Option(name: .customLong("as"), help: ArgumentHelp("Who decides (default: $USER).", valueName: "name"))
        var approver: String?

        @Flag(help: "Print the appended event as JSON.")
        var json = false

        func validate() throws {
            if approver?.isEmpty == true { throw ValidationError("--as needs a name: who decides goes into the audit trail") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let journal = try global.openExisting()
                while true {
                    let events = try journal.events(of: run)
                    let open = OpenApprovals(events)
                    guard events.last?.knownKind != .runCompleted else {
                        throw JournalError(.conflict, "run \(run) has completed; nothing to approve", context: .init(run: run))
                    }
                    let target = try open.target(step: step, run: run)
                    let who = approver ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
                    let head = events.last?.seq ?? 0
                    let event = try JournalEvent(
                        run: run, seq: head + 1, ts: .now, kind: EventKind.approvalResolved.rawValue, actor: "human:\(who)",
                        data: .record([
                            "decision": .string(deny ? "denied" : "granted"),
                            "step_id": target.step.map(JSONValue.string), "version": target.version.map { .int($0) },
                            "comment": comment.map(JSONValue.string),
                        ]))
                    do {
                        _ = try await journal.append([event], to: run, expecting: .exactly(head))
                    } catch let error as JournalError {
                        if error.code == .conflict { continue }  // the runner appended meanwhile: look again
                        throw error
                    }
                    if json {
                        Output.line(event.jsonLine)
                    } else {
                        let what = target.step.map { "step \($0)" } ?? "plan v\(target.version ?? 0)"
                        Output.line("\(deny ? "denied" : "granted") \(what) of run \(run) (seq \(event.seq))")
                    }
                    return
                }
            }
        }
    }
}

/// The approval requests of a run that have no decision yet.
struct OpenApprovals {
    var steps: [String] = []
    var planVersion: Int?

    init(_ events: [JournalEvent]) {
        for e in events {
            let step = e.dataString("step_id")
            switch e.knownKind {
            case .approvalRequested?:
                if let step { steps.append(step) } else { planVersion = Int(e.dataInt("version") ?? 0) }
            case .approvalResolved?:
                if let step { steps.removeAll { $0 == step } } else { planVersion = nil }
            case .planRevised?:
                planVersion = nil
            default: break
            }
        }
    }

    func target(step: String?, run: String) throws(JournalError) -> (step: String?, version: Int?) {
        if let step {
            guard steps.contains(step) else {
                // The run exists: what it is waiting for is its state, as a completed run's (exit 4).
                throw JournalError(
                    .conflict,
                    "run \(run) is not waiting for an approval of step \(step)" + (steps.isEmpty ? "" : " (open: \(steps.joined(separator: ", ")))"),
                    context: .init(run: run))
            }
            return (step, nil)
        }
        if let planVersion { return (nil, planVersion) }
        guard steps.count == 1 else {
            throw JournalError(
                steps.isEmpty ? .conflict : .usage,
                steps.isEmpty ? "run \(run) is not waiting for any approval" : "run \(run) waits for several approvals; choose one with --step (\(steps.joined(separator: ", ")))",
                context: .init(run: run))
        }
        return (steps[0], nil)
    }
}
