import PlanJournalCore
import Testing

/// Kinds that are neither known nor `x.*` are pointed out, with the known kind they most likely
/// misspell.
@Suite struct EventKindUnknownTests {
    @Test func knownAndExtensionKindsAreNotUnknown() {
        for kind in EventKind.allCases { #expect(!EventKind.isUnknown(kind.rawValue)) }
        #expect(!EventKind.isUnknown("x.acme.heartbeat"))
        #expect(EventKind.isUnknown("step.complete"))
        #expect(EventKind.isUnknown("X.acme"))
    }

    @Test(arguments: [
        ("step.complete", "step.completed"), ("Step_Completed", "step.completed"), ("plan.proposd", "plan.proposed"),
        ("run-started", "run.started"), ("stepp.failed", "step.failed"), ("Run.Completed", "run.completed"),
        ("call.tools", "call.tool"), ("notes", "note"),
    ])
    func misspellingsSuggestTheKindTheyMiss(kind: String, expected: String) {
        #expect(EventKind.suggestion(for: kind)?.rawValue == expected)
    }

    @Test func farOrAmbiguousKindsSuggestNothing() {
        #expect(EventKind.suggestion(for: "heartbeat") == nil)
        #expect(EventKind.suggestion(for: "step.retried") == nil)
        #expect(EventKind.suggestion(for: "") == nil)
        // One edit from call.model, three from call.tool.
        #expect(EventKind.suggestion(for: "call.mode")?.rawValue == "call.model")
        #expect(EventKind.unknownKindNote("step.complete").contains("did you mean step.completed?"))
        #expect(!EventKind.unknownKindNote("heartbeat").contains("did you mean"))
    }
}
