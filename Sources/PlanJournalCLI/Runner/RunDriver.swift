import ArgumentParser
import Dispatch
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

/// Runs a runner to its end for a command: progress lines on stderr, Ctrl-C cancels the run (it
/// is journaled as `cancelled`), the summary on stdout, exit status 1 unless the run succeeded.
enum RunDriver {
    /// Progress on stderr: a status line with notable transitions on a terminal, otherwise one
    /// line per step transition; nothing with `quiet`.
    static func observer(quiet: Bool) -> (@Sendable (JournalEvent) -> Void)? {
        if quiet { return nil }
        if Output.stderrIsTerminal {
            let display = ProgressDisplay()
            return { display.show($0) }
        }
        return { event in
            if let line = ProgressLine.render(event) { Output.error(line) }
        }
    }

    /// - Parameter journal: closed when the run ends (``Journal/close()``): what the run appended
    ///   goes into the database file rather than stay in the append log and the WAL.
    static func drive(json: Bool, closing journal: Journal, _ body: @escaping @Sendable () async throws -> RunResult)
        async throws
    {
        defer { try? journal.close() }
        let result: RunResult
        do {
            result = try await cancellable(body)
        } catch let error as RuntimeError {
            throw RuntimeFailure(error)
        }
        if json {
            Output.json(RunResultJSON(result))
        } else {
            Output.line(summary(result))
        }
        if result.status != "succeeded" { throw ExitCode(1) }
    }

    /// Runs `body` (runs of a runner) so that Ctrl-C or SIGTERM (a service manager, `timeout`)
    /// cancels it, and its runs are journaled as cancelled; a second one ends planj at once. The
    /// agent programs the runs started end with it.
    static func cancellable<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                Output.error("planj: interrupted: cancelling the run (\(number == SIGINT ? "Ctrl-C" : "SIGTERM") again to quit at once)")
                task.cancel()
                signal(number, SIG_DFL)
            }
            source.resume()
            return source
        }
        defer {
            sources.forEach { $0.cancel() }
            SubprocessChannel.stopAll()
        }
        return try await task.value
    }

    static func summary(_ r: RunResult) -> String {
        let t = r.state.totals
        // Steps of the final plan only: a completed step a replan removed is not one of them.
        let final = Set(r.state.currentPlan?.steps.map(\.id) ?? [])
        let done = r.state.steps.filter { $0.status == .completed && final.contains($0.id) }.count
        let inPlan = final.count
        var seconds = 0.0
        if let start = r.startedAt, let end = r.state.endedAt { seconds = start.milliseconds(to: end) / 1000 }
        var lines = [
            "run \(r.run): \(r.status)\(r.stoppedBy.map { " (stopped by \($0))" } ?? "")",
            String(
                format: "  %d of %d steps completed, %d replans, %lld tokens, $%.4f, %.2fs, %lld events", done, inPlan,
                t.replans, t.tokens, t.costUSD, seconds, t.events),
        ]
        if let error = r.error { lines.append("  error: \(error.type): \(TextTable.clip(error.message, 300))") }
        if let answer = r.finalAnswer { lines.append("  answer: \(TextTable.clip(answer.replacingOccurrences(of: "\n", with: " "), 160))") }
        return lines.joined(separator: "\n")
    }
}

/// The `--json` summary of a finished run.
struct RunResultJSON: Encodable {
    var run: String
    var status: String
    var stoppedBy: String?
    var finalAnswer: String?
    var error: Failure?
    var steps: [Step]
    var totals: PlanState.Totals

    /// The `run.completed` error.
    struct Failure: Encodable {
        var type: String
        var message: String
    }

    struct Step: Encodable {
        var id: String
        var status: String
        var attempts: Int
    }

    init(_ r: RunResult) {
        run = r.run
        status = r.status
        stoppedBy = r.stoppedBy
        finalAnswer = r.finalAnswer
        error = r.error.map { Failure(type: $0.type, message: $0.message) }
        steps = r.state.steps.map { Step(id: $0.id, status: $0.status.rawValue, attempts: $0.attempts) }
        totals = r.state.totals
    }

    enum CodingKeys: String, CodingKey {
        case run, status, stoppedBy = "stopped_by", finalAnswer = "final_answer", error, steps, totals
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(run, forKey: .run)
        try c.encode(status, forKey: .status)
        try c.encode(stoppedBy, forKey: .stoppedBy)
        try c.encode(finalAnswer, forKey: .finalAnswer)
        try c.encode(error, forKey: .error)
        try c.encode(steps, forKey: .steps)
        try c.encode(totals, forKey: .totals)
    }
}

/// A runtime error on its way to ``reportingErrors``.
struct RuntimeFailure: Error {
    var error: RuntimeError
    init(_ error: RuntimeError) { self.error = error }
}
