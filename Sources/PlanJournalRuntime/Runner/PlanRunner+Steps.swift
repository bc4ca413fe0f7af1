import PlanJournalCore
import PlanJournalStore
import Synchronization

/// How one step attempt ended (after its events are in the journal).
struct StepFinish: Sendable {
    enum Outcome: Sendable {
        /// `mismatch` explains why the output does not match the expected output, when a judge said so.
        case completed(output: String, mismatch: String?)
        case failed(RuntimeError, mismatch: Bool)
        case cancelled
        /// The executor asked to cancel the whole run (`RuntimeError` type `run_cancelled`).
        case runCancelled(String)
    }

    var stepID: String
    var outcome: Outcome
}

/// Where step tasks leave their ``StepFinish`` for the loop, which takes all that are there at
/// once (so one pass of the loop handles every step that finished meanwhile).
final class StepInbox: Sendable {
    private let finished = Mutex<[StepFinish]>([])

    func put(_ finish: StepFinish) {
        finished.withLock { $0.append(finish) }
    }

    /// The finishes left since the last call, in the order they arrived.
    func take() -> [StepFinish] {
        finished.withLock { f in
            guard !f.isEmpty else { return [] }
            defer { f.removeAll(keepingCapacity: true) }
            return f
        }
    }
}

extension PlanRunner {
    /// Runs one attempt of a step with the executor, observes its result and stages the outcome
    /// (the model calls the answer reports, `step.observed`, then `step.completed` or `step.failed`)
    /// in the recorder: they go to the journal with the loop's next batch (the next `step.started`,
    /// one transaction), or on their own before the loop waits.
    /// - Throws: only when the journal cannot be written (a judge's model calls).
    func runStep(_ request: StepRequest, recorder: RunRecorder) async throws -> StepFinish {
        let id = request.step.id
        let context = StepContext(recorder: recorder, tools: tools, stepID: id, actor: "executor")
        let started = Timestamp.now
        let answer: StepAnswer
        do {
            answer = try await executor.execute(request, context: context)
            try Task.checkCancellation()
        } catch {
            if Task.isCancelled || error is CancellationError || error is RetryInterrupted {
                return cancelled(request, recorder: recorder, retrying: RetryInterrupted.cause(of: error))
            }
            // The journal failed under the executor (recording a tool or model call): the run
            // stops, as on any journal failure, rather than record a failure of the executor's
            // and try the step again with part of its attempt missing from the journal.
            if let journalFailure = error as? JournalError { throw journalFailure }
            let failure = (error as? RuntimeError) ?? RuntimeError(RuntimeError.Types.executorError, "\(error)", retryable: true)
            if failure.type == RuntimeError.Types.runCancelled {
                recorder.stage([
                    RunRecorder.Entry(
                        .stepSkipped, actor: "system",
                        data: .record(["step_id": .string(id), "reason": .string(failure.message)]))
                ])
                return StepFinish(stepID: id, outcome: .runCancelled(failure.message))
            }
            // The model calls made before the failure cost tokens all the same.
            recorder.stage(failure.calls.map { callEntry($0, stepID: id) } + [failureEntry(request, failure)])
            return StepFinish(stepID: id, outcome: .failed(failure, mismatch: false))
        }
        // The answer's model calls go in front of its observation, staged with it (or, with a
        // judge, recorded before the judge's calls).
        recorder.stage(answer.calls.map { callEntry($0, stepID: id) })
        let produced = !answer.output.allSatisfy(\.isWhitespace)
        let duration = started.milliseconds(to: .now)
        var matches: Bool? = produced
        var mismatch: String?
        if produced, let judge, request.step.expectedOutput != nil {
            guard let verdict = try await judgement(of: answer.output, for: request, by: judge, recorder: recorder) else {
                return cancelled(request, recorder: recorder)
            }
            matches = verdict.matches
            if verdict.matches == false {
                mismatch = "the output does not match the expected output: \(verdict.reason ?? "no reason given")"
            }
        }
        let observed = RunRecorder.Entry(
            .stepObserved, actor: judge == nil ? "system" : "judge",
            data: Observation(
                stepID: id, callID: nil, ok: produced, content: answer.output, contentType: "text/plain",
                durationMs: duration, matchesExpected: matches
            ).eventData)
        guard produced else {
            let failure = RuntimeError("empty_output", "the executor returned no output", retryable: true)
            recorder.stage([observed, failureEntry(request, failure)])
            return StepFinish(stepID: id, outcome: .failed(failure, mismatch: true))
        }
        recorder.stage([
            observed,
            RunRecorder.Entry(
                .stepCompleted, actor: "executor",
                data: .record([
                    "step_id": .string(id), "output": answer.value ?? .string(answer.output),
                    "summary": answer.summary.map(JSONValue.string), "duration_ms": .double(duration),
                    "source": answer.source.map(JSONValue.string),
                ])),
        ])
        return StepFinish(stepID: id, outcome: .completed(output: answer.output, mismatch: mismatch))
    }

    /// The attempt the run's end cut off: journaled as failed (`cancelled`, by actor `system`, as
    /// no executor's own failure is), to be tried again.
    /// - Parameter cause: the failure the executor was retrying after when the run stopped.
    private func cancelled(_ request: StepRequest, recorder: RunRecorder, retrying cause: RuntimeError? = nil) -> StepFinish {
        let message = JournalEvent.cutOffMessage + (cause.map { " (it was retrying after: \($0.message))" } ?? "")
        var entry = failureEntry(request, RuntimeError("cancelled", message, retryable: true))
        entry.actor = "system"
        recorder.stage([entry])
        return StepFinish(stepID: request.step.id, outcome: .cancelled)
    }

    /// Asks the judge; a judge that fails or answers unreadably gives an unknown verdict.
    /// - Returns: `nil` when the run's end cut the judgement off.
    private func judgement(of output: String, for request: StepRequest, by judge: any Judge, recorder: RunRecorder)
        async throws -> Judgement?
    {
        let verdict: Judgement
        do {
            verdict = try await judge.judge(goal: request.goal, step: request.step, output: output)
        } catch {
            if Task.isCancelled || error is CancellationError { return nil }
            let calls = (error as? RuntimeError)?.calls ?? []
            for call in calls { try await recorder.record(call, stepID: request.step.id, actor: "judge") }
            return Judgement(matches: nil, reason: "\(error)")
        }
        for call in verdict.calls { try await recorder.record(call, stepID: request.step.id, actor: "judge") }
        return verdict
    }

    private func callEntry(_ call: ModelCall, stepID: String) -> RunRecorder.Entry {
        RunRecorder.Entry(.callModel, actor: "executor", data: call.eventData(stepID: stepID))
    }

    private func failureEntry(_ request: StepRequest, _ failure: RuntimeError) -> RunRecorder.Entry {
        RunRecorder.Entry(
            .stepFailed, actor: "executor",
            data: .record([
                "step_id": .string(request.step.id), "attempt": .int(request.attempt),
                "error": .record(["type": .string(failure.type), "message": .string(failure.message)]),
                "retryable": .bool(failure.retryable),
            ]))
    }
}

extension RunProgress {
    /// Takes in a finished attempt: a completion stores the output (and asks for a replan when its
    /// output was judged not to match); a failure is retried while tries remain and it is
    /// retryable, and is otherwise final (the runner then replans).
    mutating func record(_ finish: StepFinish, maxAttempts: Int) {
        let id = finish.stepID
        guard status[id] != nil else { return }
        switch finish.outcome {
        case .completed(let output, let mismatch):
            status[id] = .completed
            outputs[id] = output
            if let mismatch {
                finalFailures.append(
                    FinalFailure(stepID: id, reason: "observation_mismatch", details: mismatch, completed: true))
            }
        case .cancelled:
            status[id] = .pending
        case .runCancelled(let reason):
            status[id] = .skipped
            cancelRequested = cancelRequested ?? reason
        case .failed(let error, let mismatch):
            if error.adapterUnusable { unusableExecutor = unusableExecutor ?? error }
            if error.retryable && !mismatch && (tries[id] ?? 0) < maxAttempts {
                status[id] = .pending
            } else {
                status[id] = .failed
                finalFailures.append(
                    FinalFailure(stepID: id, reason: mismatch ? "observation_mismatch" : "step_failed", details: error.message))
            }
        }
    }
}

extension JournalEvent {
    /// What the runner's record of an attempt the run's end cut off says.
    static let cutOffMessage = "the run stopped while the step ran"

    /// Whether this is the runner's record of an attempt the run's end cut off (a `step.failed` of
    /// type `cancelled` by actor `system`, or by `executor` with the runner's message, as planj
    /// wrote it before 0.2.1), not a failure of the step.
    public var isCutOffAttempt: Bool {
        guard knownKind == .stepFailed, let error = data("error"), error["type"]?.stringValue == "cancelled" else { return false }
        return actor == "system" || (actor == "executor" && error["message"]?.stringValue == Self.cutOffMessage)
    }
}
