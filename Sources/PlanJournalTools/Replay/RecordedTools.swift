import PlanJournalCore
import PlanJournalRuntime
import Synchronization

/// Where a fork's tool calls are answered from.
public enum ToolMode: String, Sendable, CaseIterable {
    /// Only from the recording: a call it has no answer for fails (a divergence).
    case recorded
    /// Only by the live tools.
    case live
    /// From the recording when it has the same call, otherwise live.
    case recordedElseLive = "recorded-else-live"
}

/// The tools of a fork: each call is answered from the recorded run (the same tool with the same
/// arguments, in order) or by a live tool, as `mode` says. Answers say where they came from
/// (`ToolOutput.source`).
public final class RecordedTools: Sendable {
    let recording: RecordedRun
    let mode: ToolMode
    let live: ToolRegistry
    private let used = Mutex<Set<Int>>([])
    /// The tools a call found no answer for, already reported.
    private let unanswered = Mutex<Set<String>>([])

    /// Creates the tools of a fork.
    /// - Parameters:
    ///   - recording: the run whose tool calls answer.
    ///   - mode: where calls are answered from.
    ///   - live: the tools that answer live.
    public init(_ recording: RecordedRun, mode: ToolMode, live: ToolRegistry) {
        self.recording = recording
        self.mode = mode
        self.live = live
    }

    /// The registry to run the fork with.
    public var registry: ToolRegistry {
        if mode == .live { return live }
        var names = Set(live.names)
        for call in recording.toolCalls { names.insert(call.tool) }
        return ToolRegistry(names.sorted().map { name in ClosureTool(name) { args in try await self.call(name, args) } })
    }

    func call(_ name: String, _ args: JSONValue) async throws -> ToolOutput {
        let key = args.jsonText
        let recorded: ToolOutput? = used.withLock { taken in
            guard let k = recording.toolCalls.indices.first(where: { k in
                !taken.contains(k) && recording.toolCalls[k].tool == name && recording.toolCalls[k].args.jsonText == key
                    && recording.toolCalls[k].output != nil
            }) else { return nil }
            taken.insert(k)
            return recording.toolCalls[k].output
        }
        if var output = recorded {
            output.source = "recorded"
            return output
        }
        guard mode == .recordedElseLive, let tool = live[name] else {
            // Said once per tool too: the model gets the error as the tool's answer, and a fork
            // that goes on without the tool reports nothing else.
            let noLive = mode == .recordedElseLive ? ", and there is no live tool of that name (give --tool \(name)=cmd:PROGRAM)" : ""
            if unanswered.withLock({ $0.insert(name).inserted }) {
                SubprocessChannel.report("replay: run \(recording.run) has no recorded answer for a call of \(name)\(noLive)")
            }
            throw RuntimeError("divergence", "run \(recording.run) has no recorded answer for \(name) with \(key)\(noLive)")
        }
        var output = try await tool.call(args)
        output.source = "live"
        return output
    }
}
