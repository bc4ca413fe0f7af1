import PlanJournalCore

/// A small, fast, deterministic generator (SplitMix64), so every benchmark run writes the same events.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Prose of a given length from a Zipf-weighted vocabulary, so payloads compress like real text.
struct Prose {
    static let words: [String] = """
        the of and to a in is that for it as with on be by this are or from at which an not have has can will \
        their more all been also other its into when used may these some such than them only two time new system \
        data we should would each there after before if then so because any most first over where while about \
        between during without within under both same through however user request value file error change test \
        build service model output input step plan result run function method type field config version release \
        issue case query table record event state process server client cache index token response update support \
        report number list path module package option default current previous next line code source document \
        section page api endpoint message level status check limit timeout retry failure success log metric latency \
        window range schema column row batch job queue worker thread lock read write call handler parser context key \
        name id format string object array map set integer boolean null empty missing invalid expected actual
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)

    /// Cumulative Zipf-like weights over ``words``.
    static let cumulative: [Double] = {
        var acc = 0.0
        return words.indices.map { i in
            acc += 1.0 / Double(i + 8).squareRoot()
            return acc
        }
    }()

    static func word(_ rng: inout SplitMix64) -> String {
        let x = Double.random(in: 0..<cumulative[cumulative.count - 1], using: &rng)
        var lo = 0
        var hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return words[lo]
    }

    /// About `bytes` characters of sentences.
    static func text(_ bytes: Int, _ rng: inout SplitMix64) -> String {
        var out = ""
        out.reserveCapacity(bytes + 16)
        var sentence = 0
        while out.utf8.count < bytes {
            let w = word(&rng)
            if sentence == 0 {
                out += w.prefix(1).uppercased() + w.dropFirst()
            } else {
                out += w
            }
            sentence += 1
            if sentence > 6 && Int.random(in: 0..<8, using: &rng) == 0 {
                out += ". "
                sentence = 0
            } else {
                out += " "
            }
        }
        return out
    }
}

/// Shorthands for building `data` objects.
extension JSONValue {
    static func obj(_ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(members.map { JSONValue.Member($0.key, $0.value) })
    }

    static func int(_ n: some BinaryInteger) -> JSONValue { .number(String(n)) }

    static func double(_ d: Double, digits: Int = 6) -> JSONValue {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (d * scale).rounded() / scale
        return .number("\(rounded)")
    }

    static func str(_ s: String) -> JSONValue { .string(s) }
}

/// One simulated plan-and-execute run, producing valid events in order: `run.started`,
/// `goal.analyzed`, `plan.proposed`, then per-step batches (`step.started`, `call.model`,
/// optional `call.tool`, `step.observed`, `step.completed`, optional `note`), an occasional
/// `plan.revised` adding steps, and `run.completed`.
///
/// Payloads are 0.5-2 KB of prose; every model call resends the same system prompt (as real agents do).
struct RunScript {
    let run: String
    private var rng: SplitMix64
    private(set) var seq: Int64 = 0
    private var micros: Int64
    private var steps: [String] = []
    private var tools: [String: String] = [:]
    private var planVersion = 0
    private var cursor = 0
    private var attempts: [String: Int] = [:]
    private let replanEvery: Int
    private var sinceReplan = 0
    private var nextStepNumber = 1
    private let systemPrompt: String
    private let toolNames = ["http_get", "query_logs", "shell", "read_file", "web_search", "run_tests", "sql_query"]

    /// - Parameter replanEvery: a `plan.revised` (adding two steps) about every this many events; 0 for never.
    init(run: String, seed: UInt64, replanEvery: Int = 0) {
        self.run = run
        rng = SplitMix64(seed: seed)
        micros = 1_795_000_000_000_000 + Int64(seed % 1_000_000) * 1_000_000
        self.replanEvery = replanEvery
        var promptRNG = SplitMix64(seed: 42)
        systemPrompt =
            "You are bench-agent (executor), part of a plan-and-execute agent. You run one plan step at a time "
            + "with one tool and report what you observed.\n\n" + Prose.text(700, &promptRNG)
    }

    /// Builds one event of this run (the next seq).
    private mutating func event(_ kind: String, actor: String, cause: Int64? = nil, _ data: JSONValue) -> JournalEvent {
        seq += 1
        micros += Int64.random(in: 1_000...400_000, using: &rng)
        do {
            return try JournalEvent(
                run: run, seq: seq, ts: Timestamp(microseconds: micros), kind: kind, actor: actor, cause: cause,
                version: 1, data: data)
        } catch {
            fatalError("the benchmark built an invalid event: \(error)")
        }
    }

    private mutating func newStep(dependsOn: [String]) -> JSONValue {
        let id = "s\(nextStepNumber)"
        nextStepNumber += 1
        let tool = toolNames[Int.random(in: 0..<toolNames.count, using: &rng)]
        tools[id] = tool
        steps.append(id)
        return .obj([
            "id": .str(id), "description": .str(Prose.text(Int.random(in: 60...160, using: &rng), &rng)),
            "tool": .str(tool), "args": .obj(["query": .str(Prose.text(40, &rng))]),
            "depends_on": .array(dependsOn.map(JSONValue.str)),
            "expected_output": .str(Prose.text(50, &rng)), "requires_approval": .bool(false),
        ])
    }

    /// `run.started`, `goal.analyzed` and `plan.proposed` with `planSteps` steps.
    mutating func opening(planSteps: Int = 8) -> [JournalEvent] {
        let started = event(
            "run.started", actor: "human:ana",
            .obj([
                "goal": .str("Find why " + Prose.text(60, &rng)),
                "agent": .obj(["name": .str("bench-agent"), "version": .str("1.0.0")]),
                "planner": .obj(["model": .str("claude-3-5-sonnet"), "params": .obj(["temperature": .number("0.2")])]),
                "executor": .obj(["model": .str("gpt-4o-mini"), "params": .obj(["temperature": .number("0.1")])]),
                "tools": .array(toolNames.map(JSONValue.str)), "config": .obj(["max_parallel": .int(3)]),
                "tags": .array([.str("bench")]),
            ]))
        let analyzed = event(
            "goal.analyzed", actor: "planner", cause: 1,
            .obj([
                "summary": .str(Prose.text(200, &rng)), "constraints": .array([.str(Prose.text(80, &rng))]),
                "success_criteria": .array([.str(Prose.text(80, &rng))]),
            ]))
        var stepValues: [JSONValue] = []
        for k in 0..<planSteps {
            let deps = k == 0 ? [] : [steps[Int.random(in: 0..<k, using: &rng)]]
            stepValues.append(newStep(dependsOn: deps))
        }
        planVersion = 1
        let plan = event(
            "plan.proposed", actor: "planner", cause: 2,
            .obj([
                "version": .int(1), "steps": .array(stepValues), "rationale": .str(Prose.text(300, &rng)),
            ]))
        return [started, analyzed, plan]
    }

    /// The events of the next step: 3-6 of them (preceded by a `plan.revised` when one is due).
    mutating func stepBatch() -> [JournalEvent] {
        var out: [JournalEvent] = []
        if replanEvery > 0 && sinceReplan >= replanEvery {
            sinceReplan = 0
            let base = planVersion
            planVersion += 1
            let anchor = steps[Int.random(in: 0..<steps.count, using: &rng)]
            let a = newStep(dependsOn: [anchor])
            let b = newStep(dependsOn: [anchor])
            out.append(
                event(
                    "plan.revised", actor: "planner",
                    .obj([
                        "version": .int(planVersion), "base_version": .int(base), "added": .array([a, b]),
                        "removed": .array([]), "changed": .array([]), "reason": .str(Prose.text(120, &rng)),
                    ])))
        }
        let step = steps[cursor % steps.count]
        cursor += 1
        let attempt = (attempts[step] ?? 0) + 1
        attempts[step] = attempt
        let tool = tools[step] ?? "shell"
        let started = event(
            "step.started", actor: "executor",
            .obj(["step_id": .str(step), "attempt": .int(attempt), "tool": .str(tool), "inputs": .obj(["q": .str(Prose.text(40, &rng))])]))
        out.append(started)
        let startSeq = started.seq
        let shape = Int.random(in: 0..<4, using: &rng)  // 0: 3 events, 1: 4, 2: 5, 3: 6
        if shape >= 1 {
            let input = Int.random(in: 800...3000, using: &rng)
            out.append(
                event(
                    "call.model", actor: "model:gpt-4o-mini", cause: startSeq,
                    .obj([
                        "step_id": .str(step), "purpose": .str("execute"), "model": .str("gpt-4o-mini"),
                        "prompt": .str(systemPrompt + "\n\nStep " + step + ": " + Prose.text(Int.random(in: 100...400, using: &rng), &rng)),
                        "response": .str(Prose.text(Int.random(in: 200...700, using: &rng), &rng)),
                        "usage": .obj(["input_tokens": .int(input), "output_tokens": .int(input / 5)]),
                        "latency_ms": .int(Int.random(in: 300...4000, using: &rng)),
                        "cost_usd": .double(Double(input) * 0.000_000_15),
                    ])))
        }
        if shape >= 2 {
            out.append(
                event(
                    "call.tool", actor: "tool:" + tool, cause: startSeq,
                    .obj([
                        "step_id": .str(step), "call_id": .str("c\(seq)"), "tool": .str(tool),
                        "args": .obj(["query": .str(Prose.text(Int.random(in: 40...200, using: &rng), &rng))]),
                    ])))
        }
        let content = Prose.text(Int.random(in: 500...2000, using: &rng), &rng)
        out.append(
            event(
                "step.observed", actor: "tool:" + tool, cause: startSeq,
                .obj([
                    "step_id": .str(step), "call_id": .str("c\(seq)"), "ok": .bool(true), "content": .str(content),
                    "content_type": .str("text/plain"), "bytes": .int(content.utf8.count), "truncated": .bool(false),
                    "duration_ms": .int(Int.random(in: 5...3000, using: &rng)), "matches_expected": .bool(true),
                ])))
        out.append(
            event(
                "step.completed", actor: "executor", cause: startSeq,
                .obj([
                    "step_id": .str(step), "output": .str(Prose.text(Int.random(in: 150...600, using: &rng), &rng)),
                    "summary": .str(Prose.text(80, &rng)), "duration_ms": .int(Int.random(in: 50...9000, using: &rng)),
                ])))
        if shape == 3 {
            out.append(event("note", actor: "executor", .obj(["text": .str(Prose.text(Int.random(in: 100...500, using: &rng), &rng))])))
        }
        sinceReplan += out.count
        return out
    }

    /// `run.completed`.
    mutating func closing() -> JournalEvent {
        event(
            "run.completed", actor: "executor",
            .obj(["status": .str("succeeded"), "final_answer": .str(Prose.text(300, &rng))]))
    }

    /// The batches of a whole run of about `events` events: the opening, step batches, and (when
    /// `complete`) a last batch ending with `run.completed`.
    static func batches(run: String, seed: UInt64, events: Int, complete: Bool, replanEvery: Int = 0) -> [[JournalEvent]] {
        var script = RunScript(run: run, seed: seed, replanEvery: replanEvery)
        var out: [[JournalEvent]] = [script.opening()]
        while Int(script.seq) < events - (complete ? 1 : 0) {
            out.append(script.stepBatch())
        }
        if complete { out[out.count - 1].append(script.closing()) }
        return out
    }

    /// A run id that looks like a ULID.
    static func runID(_ n: Int, prefix: String) -> String {
        let tail = String(n, radix: 32, uppercase: true)
        return prefix + String(repeating: "0", count: max(0, 26 - prefix.count - tail.count)) + tail
    }
}
