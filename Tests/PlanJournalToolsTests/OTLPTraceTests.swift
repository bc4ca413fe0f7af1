import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import PlanJournalTools
import Testing

/// The OTLP/JSON export (GenAI semantic conventions) on the demo's run and on odd runs.
@Suite struct OTLPTraceTests {
    /// The demo's run: parallel fetches, a failure retried then replanned, an approval.
    func demoRun() async throws -> (TemporaryJournal, RunExport) {
        let t = try TemporaryJournal()
        let result = try await PlanRunner(
            journal: t.journal, planner: DemoPlanner(), executor: DemoExecutor(pace: 0.3), tools: DemoExecutor.tools
        ).start(.init(goal: DemoPlanner.goal))
        return (t, RunExport(run: result.run, events: try t.journal.events(of: result.run)))
    }

    /// The spans of a rendered export, parsed back as plain JSON.
    func spans(_ trace: JSONValue) async throws -> [Span] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(trace.jsonText.utf8)) as? [String: Any])
        let resources = try #require(object["resourceSpans"] as? [[String: Any]])
        return resources.flatMap { resource in
            ((resource["scopeSpans"] as? [[String: Any]]) ?? []).flatMap { ($0["spans"] as? [[String: Any]]) ?? [] }
        }.map(Span.init)
    }

    /// One span of the JSON.
    struct Span {
        let json: [String: Any]
        var name: String { json["name"] as? String ?? "" }
        var spanID: String { json["spanId"] as? String ?? "" }
        var parent: String? { json["parentSpanId"] as? String }
        var statusCode: Int { (json["status"] as? [String: Any])?["code"] as? Int ?? 0 }
        var statusMessage: String? { (json["status"] as? [String: Any])?["message"] as? String }
        var events: [[String: Any]] { json["events"] as? [[String: Any]] ?? [] }
        var eventNames: [String] { events.compactMap { $0["name"] as? String } }
        var start: UInt64 { UInt64(json["startTimeUnixNano"] as? String ?? "") ?? 0 }
        var end: UInt64 { UInt64(json["endTimeUnixNano"] as? String ?? "") ?? 0 }

        /// The attribute's value object (`["stringValue": …]`).
        func value(_ key: String) -> [String: Any]? {
            let attributes = json["attributes"] as? [[String: Any]] ?? []
            return attributes.last { $0["key"] as? String == key }?["value"] as? [String: Any]
        }

        func string(_ key: String) -> String? { value(key)?["stringValue"] as? String }
        /// An `intValue`, which OTLP/JSON writes as a decimal string.
        func int(_ key: String) -> Int64? { (value(key)?["intValue"] as? String).flatMap { Int64($0) } }
    }

    func isHex(_ s: String, length: Int) -> Bool {
        s.count == length && s.allSatisfy { "0123456789abcdef".contains($0) }
    }

    @Test func theDemoRunIsOneTraceWithARootStepSpansAndGenAISpans() async throws {
        let (_, export) = try await demoRun()
        let spans = try await spans(OTLPTrace.render(export))
        let roots = spans.filter { $0.parent == nil }
        let root = try #require(roots.first)
        #expect(roots.count == 1)
        #expect(root.name == "invoke_agent planj")
        #expect(root.string("gen_ai.operation.name") == "invoke_agent")
        #expect(root.string("gen_ai.agent.name") == "planj")
        #expect(root.string("planjournal.goal") == DemoPlanner.goal)
        #expect(root.string("planjournal.run.id") == export.run)
        #expect(root.statusCode == 1)

        let steps = spans.filter { $0.name.hasPrefix("step ") }
        #expect(steps.count == 8)  // 6 steps, fetch_rocksdb twice, the archive fetch
        #expect(steps.allSatisfy { $0.parent == root.spanID })
        #expect(steps.filter { $0.name == "step fetch_rocksdb" }.map { $0.int("planjournal.step.attempt") } == [1, 2])

        let tools = spans.filter { $0.string("gen_ai.operation.name") == "execute_tool" }
        #expect(tools.count == 7)
        let stepIDs = Set(steps.map(\.spanID))
        #expect(tools.allSatisfy { $0.parent.map(stepIDs.contains) == true })
        #expect(tools.allSatisfy { $0.string("gen_ai.tool.name") != nil && $0.string("gen_ai.tool.call.id") != nil })
        #expect(tools.allSatisfy { $0.name == "execute_tool " + ($0.string("gen_ai.tool.name") ?? "") })
        #expect(tools.allSatisfy { $0.eventNames == ["step.observed"] })

        let chats = spans.filter { $0.string("gen_ai.operation.name") == "chat" }
        #expect(!chats.isEmpty)
        #expect(chats.count == export.events.filter { $0.kind == "call.model" }.count)
        for chat in chats {
            let model = try #require(chat.string("gen_ai.request.model"))
            #expect(chat.name == "chat " + model)
            #expect(chat.int("gen_ai.usage.input_tokens") != nil && chat.int("gen_ai.usage.output_tokens") != nil)
            #expect(chat.json["kind"] as? Int == 3)  // CLIENT
        }
        // Planning calls belong to the run, executor calls to their step.
        #expect(chats.contains { $0.parent == root.spanID } && chats.contains { $0.parent.map(stepIDs.contains) == true })
        #expect(root.int("gen_ai.usage.input_tokens") == chats.compactMap { $0.int("gen_ai.usage.input_tokens") }.reduce(0, +))

        #expect(spans.count == 1 + steps.count + tools.count + chats.count)
        #expect(spans.allSatisfy { $0.start > 0 && $0.end >= $0.start })
    }

    @Test func idsAreHexOfTheRightLengthUniqueAndDerivedFromTheRun() async throws {
        let (_, export) = try await demoRun()
        let trace = OTLPTrace.render(export)
        let spans = try await spans(trace)
        let traceIDs = Set(spans.compactMap { $0.json["traceId"] as? String })
        #expect(traceIDs == [OTLPIdentifiers.traceID(run: export.run)])
        #expect(traceIDs.allSatisfy { isHex($0, length: 32) })
        #expect(spans.allSatisfy { isHex($0.spanID, length: 16) && ($0.parent.map { isHex($0, length: 16) } ?? true) })
        #expect(Set(spans.map(\.spanID)).count == spans.count)
        // The same run gives the same bytes; another run id gives other ids.
        #expect(OTLPTrace.render(RunExport(run: export.run, events: export.events)) == trace)
        #expect(OTLPIdentifiers.traceID(run: export.run + "x") != OTLPIdentifiers.traceID(run: export.run))
        #expect(OTLPIdentifiers.spanID(run: export.run, seq: 1) != OTLPIdentifiers.spanID(run: export.run, seq: 2))
        // The trace id is the first 16 bytes of SHA-256 of the run id (SHA-256("abc") = ba7816bf…).
        #expect(OTLPIdentifiers.traceID(run: "abc") == "ba7816bf8f01cfea414140de5dae2223")
    }

    @Test func aFailedStepIsAnErrorWithItsMessageAndTheRunHasReplanAndApprovalEvents() async throws {
        let (_, export) = try await demoRun()
        let spans = try await spans(OTLPTrace.render(export))
        let failed = spans.filter { $0.name == "step fetch_rocksdb" }
        #expect(failed.count == 2)
        for step in failed {
            #expect(step.statusCode == 2)
            #expect(step.statusMessage?.contains("503") == true)
            #expect(step.string("error.type") != nil)
            #expect(step.eventNames == ["exception"])
        }
        #expect(spans.filter { $0.name == "step compare" }.first?.statusCode == 1)
        let root = try #require(spans.first { $0.parent == nil })
        #expect(root.eventNames.contains("replan.triggered"))
        #expect(root.eventNames.contains("approval.requested") && root.eventNames.contains("approval.resolved"))
        #expect(root.eventNames.contains("plan.proposed") && root.eventNames.contains("plan.revised"))
        let granted = try #require(root.events.first { $0["name"] as? String == "approval.resolved" })
        let attributes = granted["attributes"] as? [[String: Any]] ?? []
        #expect(attributes.contains { $0["key"] as? String == "decision" && ($0["value"] as? [String: Any])?["stringValue"] as? String == "granted" })
        #expect(attributes.contains { $0["key"] as? String == "planjournal.seq" })
    }

    @Test func runsFromOtherGeneratorsExportWithoutCrashing() async throws {
        // No agent, a step that never ends, a tool call without call ids, an unknown kind, a failed
        // step with an error that is only a string, a step skipped without starting, no run.completed.
        var b = RunBuilder(run: "odd-run")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"},{"id":"c"}]}"#)
        try b.add("step.started", #"{"step_id":"a"}"#)
        try b.add("call.tool", #"{"step_id":"a","tool":"t"}"#)
        try b.add("x.vendor.thing", #"{"anything":[1,2,3]}"#)
        try b.add("call.model", #"{"model":"m","usage":"lots","latency_ms":-5}"#)
        try b.add("step.observed", #"{"step_id":"a","ok":false,"content":{"error":"boom"}}"#)
        try b.add("step.started", #"{"step_id":"b","attempt":"two"}"#)
        try b.add("step.failed", #"{"step_id":"b","error":"plain"}"#)
        try b.add("step.skipped", #"{"step_id":"c"}"#)
        try b.add("note", #"{"text":"hi"}"#)
        let export = RunExport(run: b.run, events: b.events)
        let trace = OTLPTrace.render(export)
        let spans = try await spans(trace)
        let object = try JSONSerialization.jsonObject(with: Data(trace.jsonText.utf8)) as? [String: Any]
        let resource = ((object?["resourceSpans"] as? [[String: Any]])?.first?["resource"] as? [String: Any])?["attributes"]
        #expect((resource as? [[String: Any]])?.first?["key"] as? String == "service.name")
        #expect(
            ((resource as? [[String: Any]])?.first?["value"] as? [String: Any])?["stringValue"] as? String == "planjournal")
        let root = try #require(spans.first { $0.parent == nil })
        #expect(root.name == "invoke_agent" && root.statusCode == 0)
        let last = b.events.last!.ts.microseconds * 1000
        #expect(root.end == UInt64(last))
        let a = try #require(spans.first { $0.name == "step a" })
        #expect(a.end == UInt64(last))  // never ended: closed at the run's last timestamp
        let tool = try #require(spans.first { $0.name == "execute_tool t" })
        #expect(tool.statusCode == 2 && tool.parent == a.spanID && tool.eventNames == ["step.observed"])
        let b2 = try #require(spans.first { $0.name == "step b" })
        #expect(b2.statusCode == 2 && b2.statusMessage == "plain")
        let c = try #require(spans.first { $0.name == "step c" })
        #expect(c.string("planjournal.step.status") == "skipped" && c.start == c.end)
        let chat = try #require(spans.first { $0.name == "chat m" })
        #expect(chat.parent == root.spanID && chat.int("gen_ai.usage.input_tokens") == nil)
        #expect(spans.count == 6)
        #expect(spans.allSatisfy { $0.end >= $0.start })
        // An empty run is still a valid request with a root span.
        await #expect(try self.spans(OTLPTrace.render(RunExport(run: "empty", events: []))).count == 1)
    }

    @Test func aRestartedAttemptClosesTheOpenOneAndOnlyTheFirstCompletionCounts() async throws {
        var b = RunBuilder(run: "restarted")
        try b.add("run.started", #"{"goal":"g","agent":{"name":""}}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#)
        try b.add("step.started", #"{"step_id":"a","attempt":1}"#)
        try b.add("call.tool", #"{"step_id":"a","call_id":"c1","tool":"t"}"#)
        let restart = try b.add("step.started", #"{"step_id":"a","attempt":2}"#)
        try b.add("step.completed", #"{"step_id":"a","output":"done"}"#)
        try b.add("run.completed", #"{"status":"failed","final_answer":"gave up"}"#)
        try b.add("run.completed", #"{"status":"succeeded"}"#)
        let trace = OTLPTrace.render(RunExport(run: b.run, events: b.events))
        let spans = try await spans(trace)
        let attempts = spans.filter { $0.name == "step a" }
        #expect(attempts.map { $0.int("planjournal.step.attempt") } == [1, 2])
        #expect(attempts.first?.string("planjournal.step.status") == "unfinished")
        #expect(attempts.first?.end == UInt64(restart.ts.microseconds * 1000))
        #expect(spans.first { $0.name == "execute_tool t" }?.end == UInt64(restart.ts.microseconds * 1000))
        #expect(attempts.last?.statusCode == 1)
        let root = try #require(spans.first { $0.parent == nil })
        #expect(root.name == "invoke_agent" && root.statusCode == 2 && root.statusMessage == "run failed: gave up")
        #expect(root.string("planjournal.run.status") == "failed")
        #expect(try await OTLPCheck.run(trace.jsonText).services == ["planjournal"])
    }

    @Test func aForkIsItsOwnTraceWithItsParentsEventsUpToTheForkPoint() async throws {
        let (t, export) = try await demoRun()
        let cut = try #require(export.events.first { $0.kind == "replan.triggered" }).seq
        _ = try t.journal.fork(export.run, at: cut, as: "fork-1")
        let fork = RunExport(run: "fork-1", events: try t.journal.events(of: "fork-1"))
        let spans = try await spans(OTLPTrace.render(fork))
        #expect(Set(spans.compactMap { $0.json["traceId"] as? String }) == [OTLPIdentifiers.traceID(run: "fork-1")])
        #expect(Set(spans.map(\.spanID)).count == spans.count)
        let root = try #require(spans.first { $0.parent == nil })
        // Cut before run.completed: the run is unfinished, its spans end at the fork point.
        #expect(root.statusCode == 0 && root.value("planjournal.unfinished")?["boolValue"] as? Bool == true)
        #expect(spans.allSatisfy { $0.end <= UInt64(fork.events.last!.ts.microseconds * 1000) && $0.end >= $0.start })
        await #expect(try OTLPCheck.run(OTLPTrace.render(fork).jsonText).status == 0)
    }

    @Test func theExportParsesWithTheOfficialOpenTelemetryDefinitions() async throws {
        let (_, export) = try await demoRun()
        let check = try await OTLPCheck.run(OTLPTrace.render(export).jsonText)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.spans == OTLPTrace.spanCount(of: OTLPTrace.render(export)))
        #expect(check.names["invoke_agent planj"] == 1)
        #expect(check.services == ["planj"])
    }

    /// Attribute keys are unique and not empty, as OTLP requires, whatever names `data` uses.
    @Test func eventAttributesHaveUniqueNonEmptyKeys() async throws {
        var b = RunBuilder(run: "keys")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("replan.triggered", #"{"reason":"r","planjournal.seq":"mine","":1,"k":1,"k":2}"#, actor: "agent:a")
        let spans = try await spans(OTLPTrace.render(RunExport(run: b.run, events: b.events)))
        let root = try #require(spans.first { $0.parent == nil })
        let replan = try #require(root.events.first { $0["name"] as? String == "replan.triggered" })
        let attributes = try #require(replan["attributes"] as? [[String: Any]])
        let keys = attributes.compactMap { $0["key"] as? String }
        #expect(keys == ["planjournal.seq", "planjournal.actor", "reason", "data.planjournal.seq", "k"])
        #expect((attributes[4]["value"] as? [String: Any])?["intValue"] as? String == "2")
    }

    /// A long run is sent in several requests under a size, together holding every span once,
    /// each with the run's resource.
    @Test func aLargeExportIsCutIntoRequestsUnderTheSize() async throws {
        let (_, export) = try await demoRun()
        let request = OTLPTrace.render(export)
        let batches = OTLPTrace.batches(of: request, maxBytes: 4000)
        #expect(batches.count > 3)
        #expect(batches.map(OTLPTrace.spanCount).reduce(0, +) == OTLPTrace.spanCount(of: request))
        var ids: [String] = []
        for batch in batches {
            let spans = try await spans(batch)
            ids += spans.map(\.spanID)
            let biggest = spans.map { (try? JSONSerialization.data(withJSONObject: $0.json).count) ?? 0 }.max() ?? 0
            #expect(spans.count == 1 || batch.jsonText.utf8.count <= 4000 + biggest + 1000)
            #expect(batch["resourceSpans"]?.arrayValue?.first?["resource"] == request["resourceSpans"]?.arrayValue?.first?["resource"])
        }
        #expect(Set(ids) == Set(try await spans(request).map(\.spanID)) && Set(ids).count == ids.count)
        #expect(OTLPTrace.batches(of: request).count == 1)
    }
}
