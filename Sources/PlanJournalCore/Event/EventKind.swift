/// The event kinds of the wire contract (DESIGN §2). Other kinds (`x.*`, kinds of newer versions)
/// are valid too and pass through byte for byte; they have no `EventKind`.
public enum EventKind: String, Sendable, CaseIterable, Codable {
    case runStarted = "run.started"
    case goalAnalyzed = "goal.analyzed"
    case planProposed = "plan.proposed"
    case planReviewed = "plan.reviewed"
    case approvalRequested = "approval.requested"
    case approvalResolved = "approval.resolved"
    case stepStarted = "step.started"
    case callModel = "call.model"
    case callTool = "call.tool"
    case stepObserved = "step.observed"
    case stepCompleted = "step.completed"
    case stepFailed = "step.failed"
    case stepSkipped = "step.skipped"
    case replanTriggered = "replan.triggered"
    case planRevised = "plan.revised"
    case runCompleted = "run.completed"
    case note = "note"
}
