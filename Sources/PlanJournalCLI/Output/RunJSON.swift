import PlanJournalCore
import PlanJournalStore

/// A catalog entry as `runs --json` prints it; absent values are `null`, never missing. The id is
/// both `id` and `run` (the name events and every other command's JSON give it).
struct RunJSON: Encodable {
    var summary: RunSummary

    enum CodingKeys: String, CodingKey {
        case id, run, goal, status, events, startedAt = "started_at", endedAt = "ended_at", parent, forkSeq = "fork_seq"
        case tokens, inputTokens = "input_tokens", outputTokens = "output_tokens", costUSD = "cost_usd"
        case headHash = "head_hash", bytes
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let s = summary
        try c.encode(s.id, forKey: .id)
        try c.encode(s.id, forKey: .run)
        try c.encode(s.goal, forKey: .goal)
        try c.encode(s.status, forKey: .status)
        try c.encode(s.events, forKey: .events)
        try c.encode(s.startedAt, forKey: .startedAt)
        try c.encode(s.endedAt, forKey: .endedAt)
        try c.encode(s.parent, forKey: .parent)
        try c.encode(s.forkSeq, forKey: .forkSeq)
        try c.encode(s.tokens, forKey: .tokens)
        try c.encode(s.inputTokens, forKey: .inputTokens)
        try c.encode(s.outputTokens, forKey: .outputTokens)
        try c.encode(s.costUSD.withoutFloatNoise, forKey: .costUSD)
        try c.encode(s.headHash, forKey: .headHash)
        try c.encode(s.rawBytes, forKey: .bytes)
    }
}
