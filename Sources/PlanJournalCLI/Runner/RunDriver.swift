import ArgumentParser
import Dispatch
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import Synchronization

/// Runs a runner to its end for a command: progress lines on stderr, Ctrl-C cancels the run (it
/// is journaled as `cancelled`) and SIGTERM leaves it resumable, the summary on stdout, exit
/// status 1 unless the run succeeded.
enum RunDriver {
    /// Progress on stderr: a status line with notable transitions on a terminal, otherwise one
    /// line per step transition; nothing with `quiet`. In either case, a warning the first time a
    /// model's reply reports no token usage.
    static func observer(quiet: Bool) -> (@Sendable (JournalEvent) -> Void)? {
        let progress = progressObserver(quiet: quiet)
        let unmetered = Mutex<Set<String>>([])
        return { event in
            startedRun.withLock { if $0 == nil { $0 = event.run } }
            if event.knownKind == .callModel, event.data("usage") == nil, let model = event.dataString("model"),
                unmetered.withLock({ $0.insert(model).inserted })
            {
                Output.error(
                    (Output.stderrIsTerminal ? "\r\u{1B}[K" : "") + "planj: warning: \(TerminalText.safe(model)) reported no "
                        + "token usage: its calls are journaled without tokens or cost, which --budget-usd cannot count")
            }
            progress?(event)
        }
    }

    private static func progressObserver(quiet: Bool) -> (@Sendable (JournalEvent) -> Void)? {
        if quiet { return nil }
        if Output.stderrIsTerminal {
            let display = ProgressDisplay()
            return { display.show($0) }
        }
        return { event in
            if let line = ProgressLine.render(event) { Output.error(line) }
        }
    }

    /// The run the command's runner journaled first (its id, seen by ``observer(quiet:)``), named
    /// by an error of the journal that stops it.
    private static let startedRun = Mutex<String?>(nil)

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
        } catch let error as JournalError {
            // The journal failed the run part way (a full disk, a lost server): name the run,
            // which `planj resume` takes up once the cause is gone.
            guard let run = startedRun.withLock({ $0 }), error.context.run == nil else { throw error }
            if error.code == .io || error.code == .commitUncertain {
                Output.error("planj: note: this was run \(run); if it did not finish, `planj resume \(run)` goes on once that is fixed")
            }
            throw error.adding(run: run)
        }
        if json {
            Output.json(RunResultJSON(result))
        } else {
            Output.line(summary(result))
        }
        if result.status != "succeeded" { throw ExitCode(1) }
    }

    /// Runs `body` (runs of a runner) so that Ctrl-C cancels it, and its runs are journaled as
    /// cancelled (a second Ctrl-C ends planj at once), while SIGTERM (a service manager stopping
    /// planj, `docker stop`) leaves them resumable: planj ends as a crash would end it, after
    /// stopping the agent programs, with everything journaled kept (`planj resume` goes on).
    /// The agent programs the runs started end with it.
    static func cancellable<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let progress = DriveProgress()
        let catcher = SignalCatcher([SIGINT, SIGTERM]) { number in
            guard number == SIGTERM else {
                guard progress.interrupted.exchange(true, ordering: .acquiringAndReleasing) else {
                    // A run that has completed is not cancelled: planj is only printing its summary.
                    if !progress.finished.load(ordering: .acquiring) {
                        Output.error("planj: interrupted: cancelling the run (Ctrl-C again to quit at once)")
                    }
                    task.cancel()
                    return
                }
                // The agents, in process groups of their own, do not get the terminal's Ctrl-C: they
                // end with planj, which ends as Ctrl-C ends a program.
                SubprocessChannel.killAll()
                signal(SIGINT, SIG_DFL)
                kill(getpid(), SIGINT)
                return
            }
            progress.terminating.store(true, ordering: .releasing)
            Output.error(
                progress.finished.load(ordering: .acquiring)
                    ? "planj: SIGTERM: stopping"
                    : "planj: SIGTERM: stopping; the run stays as journaled, not completed: `planj resume RUN` goes on "
                        + "with it (`planj cancel RUN` ends it)")
            Output.muted.store(true, ordering: .releasing)
            // Nothing more is journaled: the runs would record their agents' ends as failures.
            Journal.stopWritingForGood()
            SubprocessChannel.stopAllForGood()
            // What was acknowledged is in the journal or its append log, which the next writer
            // replays: as after a crash, which the journal is made to survive.
            _exit(128 + SIGTERM)
        }
        defer {
            // (With Ctrl-C still heard: a second one, while agents that ignore their input's end
            // take their grace periods, quits at once.)
            SubprocessChannel.stopAll()
            catcher.stop()
        }
        let result = await task.result
        progress.finished.store(true, ordering: .releasing)
        // The runs, cut off by SIGTERM, end here before its handler ends planj: its exit status
        // is the one to give.
        while progress.terminating.load(ordering: .acquiring) { try? await Task.sleep(for: .seconds(1)) }
        return try result.get()
    }

    /// What SIGTERM's handler in one ``cancellable(_:)`` knows of its runs: one per call, so that
    /// runs driven after others in the same process (by a test, or a library user) do not start
    /// as finished (SIGTERM then said the runs were done with, not that they could be resumed).
    private final class DriveProgress: Sendable {
        /// Set once Ctrl-C came (the next one quits at once).
        let interrupted = Atomic(false)
        /// Set once SIGTERM came.
        let terminating = Atomic(false)
        /// Set once the runs ended.
        let finished = Atomic(false)
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
            "run \(r.run): \(r.status)\(r.stoppedBy.flatMap { $0 == r.status ? nil : " (stopped by \($0))" } ?? "")",
            String(format: "  %d of %d steps completed, %d replans, %lld tokens, ", done, inPlan, t.replans, t.tokens)
                + t.costUSD.dollarText + String(format: ", %.2fs, %lld events", seconds, t.events),
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
