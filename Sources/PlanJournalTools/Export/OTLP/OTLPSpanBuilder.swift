import PlanJournalCore

/// Turns a run's events into spans: a root `invoke_agent` span, a span per step attempt, `chat`
/// spans for model calls and `execute_tool` spans for tool calls, with observations, plan
/// changes, replans and approvals as span events.
///
/// Built for any conforming generator: missing fields are left out, unknown and `x.*` kinds are
/// ignored, a step that ends without starting gets a span of no length, and spans still open
/// at the end (a crashed or running run) end at the run's last timestamp.
struct OTLPSpanBuilder {
    /// What the span ids derive from (``RunExport/identity``).
    private let identity: String
    private let state: PlanState
    private(set) var spans: [OTLPSpan]
    /// The open attempt of each step, and the latest attempt (open or not): indexes into `spans`.
    private var openStep: [String: Int] = [:]
    private var lastStep: [String: Int] = [:]
    /// Open tool calls by call id, and by step in call order (ended with their step).
    private var openCall: [String: Int] = [:]
    private var openCallsOfStep: [String: [Int]] = [:]
    /// Tool calls journaled without a call id: an observation without one ends the step's first of them.
    private var callsWithoutID: Set<Int> = []
    /// Providers named by `run.started` (`planner.provider`, `executor.provider`).
    private var plannerProvider: String?
    private var executorProvider: String?
    private var inputTokens: Int64 = 0
    private var outputTokens: Int64 = 0
    private var sawUsage = false
    /// The latest timestamp of any event: where open spans end.
    private(set) var lastTime: Timestamp

    static let rootIndex = 0

    init(_ export: RunExport) {
        identity = export.identity
        state = export.state
        let first = export.events.map(\.ts).min() ?? Timestamp(microseconds: 0)
        lastTime = export.events.map(\.ts).max() ?? first
        spans = [
            OTLPSpan(
                name: "invoke_agent", spanID: OTLPIdentifiers.spanID(run: export.identity, seq: 0), parentSpanID: nil,
                kind: .internal, start: first,
                attributes: [
                    .string("gen_ai.operation.name", "invoke_agent"), .string("gen_ai.conversation.id", export.run),
                    .string("planjournal.run.id", export.run),
                ])
        ]
        for event in export.events { add(event) }
        finish()
    }

    /// The agent name `run.started` gave, if any.
    private(set) var agentName: String?
    /// The agent version `run.started` gave, if any.
    private(set) var agentVersion: String?

    private var rootID: String { spans[Self.rootIndex].spanID }

    private mutating func add(_ e: JournalEvent) {
        let step = e.dataString("step_id")
        switch e.knownKind {
        case .runStarted?: started(e)
        case .stepStarted?: if let step { stepStarted(step, e) }
        case .stepCompleted?, .stepFailed?, .stepSkipped?: if let step { stepEnded(step, e) }
        case .callModel?: modelCall(step, e)
        case .callTool?: toolCall(step, e)
        case .stepObserved?: observed(step, e)
        case .runCompleted?: completed(e)
        case .goalAnalyzed?, .planProposed?, .planReviewed?, .planRevised?, .approvalRequested?, .approvalResolved?,
            .replanTriggered?:
            spans[Self.rootIndex].events.append(event(e))
        case .note?, nil: break
        }
    }

    private mutating func started(_ e: JournalEvent) {
        agentName = e.data("agent")?["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        agentVersion = e.data("agent")?["version"]?.textValue
        plannerProvider = e.data("planner")?["provider"]?.stringValue
        executorProvider = e.data("executor")?["provider"]?.stringValue
        var root = spans[Self.rootIndex]
        if let agentName {
            root.name = "invoke_agent \(agentName)"
            root.attributes.append(.string("gen_ai.agent.name", agentName))
        }
        if let goal = e.dataString("goal") { root.attributes.append(.string("planjournal.goal", goal)) }
        if let model = e.data("planner")?["model"]?.stringValue {
            root.attributes.append(.string("gen_ai.request.model", model))
        }
        if let provider = plannerProvider { root.attributes.append(.string("gen_ai.provider.name", provider)) }
        if let tags = e.data("tags"), let tag = OTLPAttribute.from("planjournal.tags", tags) { root.attributes.append(tag) }
        spans[Self.rootIndex] = root
    }

    private mutating func stepStarted(_ step: String, _ e: JournalEvent) {
        if let open = openStep[step] {
            // A new attempt while the last one is open: that one ended unreported.
            close(open, at: e.ts, status: "unfinished")
            for call in openCallsOfStep.removeValue(forKey: step) ?? [] where spans[call].end == nil {
                close(call, at: e.ts, status: nil)
            }
        }
        let attempt = e.dataInt("attempt") ?? 1
        var attributes: [OTLPAttribute] = [.string("planjournal.step.id", step), .int("planjournal.step.attempt", attempt)]
        if let tool = e.dataString("tool") ?? state.step(step)?.tool { attributes.append(.string("planjournal.step.tool", tool)) }
        if let description = state.step(step)?.description {
            attributes.append(.string("planjournal.step.description", description))
        }
        let index = append(OTLPSpan(name: "step \(step)", spanID: id(e), parentSpanID: rootID, kind: .internal, start: e.ts, attributes: attributes))
        openStep[step] = index
        lastStep[step] = index
    }

    private mutating func stepEnded(_ step: String, _ e: JournalEvent) {
        let index: Int
        if let open = openStep.removeValue(forKey: step) {
            index = open
        } else {
            // Ended without a start (a skipped step, or a generator that does not journal starts).
            index = append(
                OTLPSpan(
                    name: "step \(step)", spanID: id(e), parentSpanID: rootID, kind: .internal, start: e.ts,
                    attributes: [.string("planjournal.step.id", step)]))
            lastStep[step] = index
        }
        for call in openCallsOfStep.removeValue(forKey: step) ?? [] where spans[call].end == nil {
            spans[call].end = e.ts
        }
        spans[index].end = e.ts
        switch e.knownKind {
        case .stepCompleted?:
            spans[index].status = .ok
            spans[index].attributes.append(.string("planjournal.step.status", "completed"))
            if let summary = e.dataString("summary") ?? e.data("output")?.textValue {
                spans[index].attributes.append(.string("planjournal.step.output", summary))
            }
        case .stepFailed?:
            let error = e.data("error")
            let type = error?["type"]?.textValue
            let message = error?["message"]?.textValue ?? error?.stringValue ?? type ?? "step failed"
            spans[index].status = .error(message)
            spans[index].attributes.append(.string("planjournal.step.status", "failed"))
            spans[index].attributes.append(.string("error.type", type ?? "_OTHER"))
            if let retryable = e.dataBool("retryable") {
                spans[index].attributes.append(.bool("planjournal.step.retryable", retryable))
            }
            var exception: [OTLPAttribute] = [.string("exception.message", message)]
            if let type { exception.insert(.string("exception.type", type), at: 0) }
            if let trace = error?["traceback"]?.textValue { exception.append(.string("exception.stacktrace", trace)) }
            spans[index].events.append(.init(name: "exception", time: e.ts, attributes: exception))
        default:
            spans[index].attributes.append(.string("planjournal.step.status", "skipped"))
            if let reason = e.data("reason")?.textValue {
                spans[index].attributes.append(.string("planjournal.step.skip_reason", reason))
            }
        }
    }

    private mutating func modelCall(_ step: String?, _ e: JournalEvent) {
        let model = e.dataString("model")
        let latency = e.dataMilliseconds("latency_ms") ?? 0
        var attributes: [OTLPAttribute] = [.string("gen_ai.operation.name", "chat")]
        if let model { attributes.append(.string("gen_ai.request.model", model)) }
        let provider = e.dataString("provider") ?? e.dataString("system") ?? (step == nil ? plannerProvider : executorProvider)
        if let provider { attributes.append(.string("gen_ai.provider.name", provider)) }
        let usage = e.data("usage")
        if let input = usage?["input_tokens"]?.int64Value {
            attributes.append(.int("gen_ai.usage.input_tokens", input))
            inputTokens.addSaturating(max(0, input))
            sawUsage = true
        }
        if let output = usage?["output_tokens"]?.int64Value {
            attributes.append(.int("gen_ai.usage.output_tokens", output))
            outputTokens.addSaturating(max(0, output))
            sawUsage = true
        }
        if let purpose = e.data("purpose").flatMap({ OTLPAttribute.from("planjournal.purpose", $0) }) { attributes.append(purpose) }
        if let cost = OTLPAttribute.from("planjournal.cost_usd", e.data("cost_usd")) { attributes.append(cost) }
        if let step { attributes.append(.string("planjournal.step.id", step)) }
        append(
            OTLPSpan(
                name: model.map { "chat \($0)" } ?? "chat", spanID: id(e), parentSpanID: parent(of: step), kind: .client,
                start: max(spans[Self.rootIndex].start, Timestamp(microseconds: e.ts.microseconds - Int64(latency * 1000))),
                end: e.ts,
                attributes: attributes))
    }

    private mutating func toolCall(_ step: String?, _ e: JournalEvent) {
        let tool = e.dataString("tool")
        var attributes: [OTLPAttribute] = [.string("gen_ai.operation.name", "execute_tool")]
        if let tool { attributes.append(.string("gen_ai.tool.name", tool)) }
        let callID = e.data("call_id")?.textValue
        if let callID { attributes.append(.string("gen_ai.tool.call.id", callID)) }
        if let args = OTLPAttribute.from("gen_ai.tool.call.arguments", e.data("args")) { attributes.append(args) }
        if let step { attributes.append(.string("planjournal.step.id", step)) }
        let index = append(
            OTLPSpan(
                name: tool.map { "execute_tool \($0)" } ?? "execute_tool", spanID: id(e), parentSpanID: parent(of: step),
                kind: .internal, start: e.ts, attributes: attributes))
        if let callID { openCall[callID] = index } else { callsWithoutID.insert(index) }
        if let step { openCallsOfStep[step, default: []].append(index) }
    }

    private mutating func observed(_ step: String?, _ e: JournalEvent) {
        let observation = event(e)
        let call: Int? =
            if let callID = e.data("call_id")?.textValue, let index = openCall.removeValue(forKey: callID) {
                index
            } else if e.data("call_id") == nil, let step,
                let index = openCallsOfStep[step]?.first(where: { spans[$0].end == nil && callsWithoutID.contains($0) })
            {
                index
            } else {
                nil
            }
        guard let call else {
            // An observation with no tool call to end: an event of its step (or of the run).
            let index = step.flatMap { openStep[$0] ?? lastStep[$0] } ?? Self.rootIndex
            spans[index].events.append(observation)
            return
        }
        if let step { openCallsOfStep[step]?.removeAll { $0 == call } }
        spans[call].end = e.ts
        spans[call].events.append(observation)
        switch e.dataBool("ok") {
        case true?: spans[call].status = .ok
        case false?:
            spans[call].status = .error(e.data("content")?.textValue.map { String($0.prefix(200)) } ?? "the tool failed")
            spans[call].attributes.append(.string("error.type", "tool_error"))
        case nil: break
        }
    }

    private mutating func completed(_ e: JournalEvent) {
        // The first run.completed counts (an audit reports any later one).
        guard spans[Self.rootIndex].end == nil else { return }
        var root = spans[Self.rootIndex]
        root.end = e.ts
        let status = e.dataString("status")
        if let status { root.attributes.append(.string("planjournal.run.status", status)) }
        switch status {
        case "succeeded"?: root.status = .ok
        case "failed"?, "cancelled"?:
            let answer = e.data("final_answer")?.textValue.map { ": " + String($0.prefix(200)) } ?? ""
            root.status = .error("run \(status ?? "")\(answer)")
            root.attributes.append(.string("error.type", "run_\(status ?? "")"))
        default: break
        }
        if let answer = OTLPAttribute.from("planjournal.final_answer", e.data("final_answer")) { root.attributes.append(answer) }
        root.attributes += OTLPAttribute.members(
            of: e.data("totals"), prefix: "planjournal.totals.", taken: Set(root.attributes.map(\.key)))
        spans[Self.rootIndex] = root
    }

    /// Ends what is still open at the run's last timestamp, and adds the run's token usage.
    private mutating func finish() {
        if spans[Self.rootIndex].end == nil {
            spans[Self.rootIndex].attributes.append(.bool("planjournal.unfinished", true))
        }
        for index in spans.indices where spans[index].end == nil && index != Self.rootIndex {
            close(index, at: lastTime, status: nil)
        }
        if sawUsage {
            spans[Self.rootIndex].attributes += [
                .int("gen_ai.usage.input_tokens", inputTokens), .int("gen_ai.usage.output_tokens", outputTokens),
            ]
        }
    }

    /// Ends a span that did not end on its own (with `planjournal.step.status` when `status` is given).
    private mutating func close(_ index: Int, at ts: Timestamp, status: String?) {
        spans[index].end = ts
        spans[index].attributes.append(.bool("planjournal.unfinished", true))
        if let status { spans[index].attributes.append(.string("planjournal.step.status", status)) }
    }

    /// The span a call of `step` belongs to: its open attempt, else its latest one, else the root.
    private func parent(of step: String?) -> String {
        let index = step.flatMap { openStep[$0] ?? lastStep[$0] } ?? Self.rootIndex
        return spans[index].spanID
    }

    private func id(_ e: JournalEvent) -> String {
        OTLPIdentifiers.spanID(run: identity, seq: e.seq)
    }

    @discardableResult
    private mutating func append(_ span: OTLPSpan) -> Int {
        spans.append(span)
        return spans.count - 1
    }

    /// An event as a span event named by its kind: its seq, actor and `data` members as attributes.
    private func event(_ e: JournalEvent) -> OTLPSpan.Event {
        var attributes: [OTLPAttribute] = [.int("planjournal.seq", e.seq)]
        if let actor = e.actor { attributes.append(.string("planjournal.actor", actor)) }
        attributes += OTLPAttribute.members(of: e.data, taken: Set(attributes.map(\.key)))
        return OTLPSpan.Event(name: e.kind, time: e.ts, attributes: attributes)
    }
}
