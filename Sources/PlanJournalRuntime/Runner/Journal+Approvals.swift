import PlanJournalCore
import PlanJournalStore

/// The approval requests of a run that have no decision yet.
public struct OpenApprovals: Sendable, Equatable {
    /// Steps waiting for a decision, in the order they asked.
    public var steps: [String] = []
    /// The plan version waiting for a decision, if any.
    public var planVersion: Int?

    /// Reads them from a run's events.
    public init(_ events: [JournalEvent]) {
        for e in events {
            let step = e.dataString("step_id")
            switch e.knownKind {
            case .approvalRequested?:
                if let step { steps.append(step) } else { planVersion = Int(e.dataInt("version") ?? 0) }
            case .approvalResolved?:
                if let step { steps.removeAll { $0 == step } } else { planVersion = nil }
            case .planRevised?:
                planVersion = nil
                // A request for a step as it was is no request for the step as it is now.
                let gone = Set(
                    (e.data("changed")?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
                        + (e.data("removed")?.arrayValue ?? []).compactMap(\.stringValue))
                steps.removeAll(where: gone.contains)
            default: break
            }
        }
    }

    /// The request a decision answers: `step`'s, or else the plan's, or else the one open step's.
    /// - Throws: `JournalError` `.conflict` when the run does not wait for it (or for anything),
    ///   `.usage` when several steps wait and none was named.
    public func target(step: String?, run: String) throws(JournalError) -> (step: String?, version: Int?) {
        if let step {
            guard steps.contains(step) else {
                // The run exists: what it is waiting for is its state, as a completed run's (exit 4).
                throw JournalError(
                    .conflict,
                    "the run is not waiting for an approval of step \(step)" + (steps.isEmpty ? "" : " (open: \(steps.joined(separator: ", ")))"),
                    context: .init(run: run))
            }
            return (step, nil)
        }
        if let planVersion { return (nil, planVersion) }
        guard steps.count == 1 else {
            throw JournalError(
                steps.isEmpty ? .conflict : .usage,
                steps.isEmpty
                    ? "the run is not waiting for any approval"
                    : "the run waits for several approvals; name the step (\(steps.joined(separator: ", ")))",
                context: .init(run: run))
        }
        return (steps[0], nil)
    }
}

extension Journal {
    /// Decides an approval `run` is waiting for, by appending `approval.resolved` (as
    /// `planj approve` does): a runner waiting in ``ApprovalMode/ask`` mode continues at once; a
    /// stopped run continues when resumed.
    /// - Parameters:
    ///   - step: the step whose request to decide; `nil`: the plan's, or the one open step's.
    ///   - approver: who decides, recorded as actor `human:APPROVER`.
    /// - Returns: the appended event.
    /// - Throws: ``RuntimeError`` `already_completed` when the run has completed;
    ///   `JournalError`: `.notFound` for an unknown run, `.conflict` when the run does not wait
    ///   for that decision, `.usage` when several steps wait and `step` is `nil`.
    @discardableResult
    public func resolveApproval(
        run: String, step: String? = nil, granted: Bool, approver: String, comment: String? = nil
    ) async throws -> JournalEvent {
        while true {
            let events = try self.events(of: run)
            if let end = events.last, end.knownKind == .runCompleted {
                throw RuntimeError(
                    RuntimeError.Types.alreadyCompleted,
                    "run \(run) has completed (\(end.dataString("status") ?? "no status")); nothing to approve")
            }
            let target = try OpenApprovals(events).target(step: step, run: run)
            let head = events.last?.seq ?? 0
            let event = try JournalEvent(
                run: run, seq: head + 1, ts: .now, kind: EventKind.approvalResolved.rawValue, actor: "human:\(approver)",
                data: .record([
                    "decision": .string(granted ? "granted" : "denied"),
                    "step_id": target.step.map(JSONValue.string), "version": target.version.map { .int($0) },
                    "comment": comment.map(JSONValue.string),
                ]))
            if try await appendUnlessOvertaken(event, head: head) { return event }
            // The runner appended meanwhile: look again.
        }
    }

    /// Appends `event` to its run if the run's head is still `head`; `false` when another
    /// writer appended first.
    func appendUnlessOvertaken(_ event: JournalEvent, head: Int64) async throws -> Bool {
        do {
            _ = try await append([event], to: event.run, expecting: .exactly(head))
            return true
        } catch {
            if error.code == .conflict { return false }
            throw error
        }
    }
}
