import PlanJournalCore
import ArgumentParser
import Foundation
import PlanJournalRuntime

/// The limits and policies `run`, `demo`, `resume` and `replay` share.
struct RunnerFlags: ParsableArguments {
    /// Where a limit comes from when it is not given to a command that continues a run.
    private static let recorded = "resume and replay keep the run's"

    @Option(help: "Steps executing at once (default: \(RunnerOptions().parallel); \(Self.recorded)).")
    var parallel: Int?

    @Option(help: ArgumentHelp("Approval points: auto (a policy grants them) or ask (wait for `planj approve`) (default: auto; \(Self.recorded)).", valueName: "auto|ask"))
    var approve: String?

    @Flag(help: "Make each plan version an approval point before any step runs.")
    var approvePlan = false

    @Option(help: "Tries per step before its failure is final and the planner is asked to replan (default: \(RunnerOptions().maxAttempts); \(Self.recorded)).")
    var maxAttempts: Int?

    @Option(help: "Step executions per run (default: \(RunnerOptions().maxSteps); \(Self.recorded)).")
    var maxSteps: Int?

    @Option(help: "Replans per run, a reviewer's requests for changes included (default: \(RunnerOptions().maxReplans); \(Self.recorded)).")
    var maxReplans: Int?

    @Option(name: .customLong("budget-usd"), help: "Stop when model calls cost more than this many US dollars.")
    var budgetUSD: Double?

    @Option(help: ArgumentHelp("Stop when the run takes longer than this many seconds.", valueName: "seconds"))
    var timeout: Double?

    /// The options given, by their flag names (a command that runs nothing refuses them).
    var given: [String] {
        [
            ("--parallel", parallel != nil), ("--approve", approve != nil), ("--approve-plan", approvePlan),
            ("--max-attempts", maxAttempts != nil), ("--max-steps", maxSteps != nil), ("--max-replans", maxReplans != nil),
            ("--budget-usd", budgetUSD != nil), ("--timeout", timeout != nil),
        ].filter(\.1).map(\.0)
    }

    /// The options, starting from `base` (a resumed run's recorded settings).
    func options(base: RunnerOptions = RunnerOptions()) throws -> RunnerOptions {
        var o = base
        if let parallel {
            guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
            o.parallel = parallel
        }
        if let approve {
            guard let mode = ApprovalMode(rawValue: approve) else { throw ValidationError("--approve must be auto or ask") }
            o.approval = mode
        }
        if approvePlan { o.approvePlan = true }
        if let maxAttempts {
            guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1 (the first try)") }
            o.maxAttempts = maxAttempts
        }
        if let maxSteps {
            guard maxSteps >= 0 else { throw ValidationError("--max-steps must be 0 or more") }
            o.maxSteps = maxSteps
        }
        if let maxReplans {
            guard maxReplans >= 0 else { throw ValidationError("--max-replans must be 0 or more") }
            o.maxReplans = maxReplans
        }
        if let budgetUSD {
            guard budgetUSD >= 0, budgetUSD.isFinite else {
                throw ValidationError("--budget-usd must be a number of US dollars, 0 or more, not \(budgetUSD)")
            }
            o.budgetUSD = budgetUSD
        }
        if let timeout { o.timeout = try Seconds.duration(timeout, flag: "--timeout") }
        return o
    }
}

/// How a command that drives a run reports: `--json` summary, `--quiet` progress.
struct RunOutputFlags: ParsableArguments {
    @Flag(help: "Print the result as JSON.")
    var json = false

    @Flag(help: "No progress lines on stderr.")
    var quiet = false
}

/// Settings of OpenAI-compatible servers given on the command line.
struct HTTPFlags: ParsableArguments {
    @Option(
        name: .customLong("header"),
        help: ArgumentHelp(
            "An extra HTTP header for the servers the command talks to (OpenAI-compatible models; for export, the OTLP collector); repeatable.",
            valueName: "Name: value"))
    var headers: [String] = []

    /// The settings: `$OPENAI_API_KEY` and the headers.
    func settings() throws -> OpenAISettings {
        var settings = OpenAISettings()
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw ValidationError("--header must be 'Name: value', not '\(header)'")
            }
            settings.headers[String(header[..<colon]).trimmingCharacters(in: .whitespaces)] =
                String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return settings
    }
}
