import PlanJournalCore

/// One thing the audit noticed about a run: how serious it is, what rule it breaks, the event
/// (and step) it concerns, and a one-line explanation.
public struct Finding: Sendable, Hashable, Codable {
    /// How serious a finding is; `--fail-on` compares against it.
    public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case info, warning, error

        private var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    }

    /// How serious it is.
    public var severity: Severity
    /// A stable dotted identifier of the rule, e.g. `integrity.chain` or `behaviour.tool-loop`.
    public var code: String
    /// The run it concerns.
    public var run: String
    /// The event the finding concerns, when there is one.
    public var seq: Int64?
    /// The step the finding concerns, when there is one.
    public var step: String?
    /// One line for people.
    public var message: String

    /// Creates a finding.
    /// - Parameters:
    ///   - severity: how serious it is.
    ///   - code: the rule's stable dotted identifier, e.g. `behaviour.tool-loop`.
    ///   - run: the run it concerns.
    ///   - seq: the event it concerns, if any.
    ///   - step: the step it concerns, if any.
    ///   - message: one line for people.
    public init(_ severity: Severity, _ code: String, run: String, seq: Int64? = nil, step: String? = nil, _ message: String) {
        self.severity = severity
        self.code = code
        self.run = run
        self.seq = seq
        self.step = step
        self.message = message
    }

    // The step is written twice: as `step`, as audits have always written it, and as `step_id`,
    // as the events, `replay` entries and the read model name it.
    private enum CodingKeys: String, CodingKey {
        case severity, code, run, seq, step, stepID = "step_id", message
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        severity = try c.decode(Severity.self, forKey: .severity)
        code = try c.decode(String.self, forKey: .code)
        run = try c.decode(String.self, forKey: .run)
        seq = try c.decodeIfPresent(Int64.self, forKey: .seq)
        step = try c.decodeIfPresent(String.self, forKey: .stepID) ?? c.decodeIfPresent(String.self, forKey: .step)
        message = try c.decode(String.self, forKey: .message)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(severity, forKey: .severity)
        try c.encode(code, forKey: .code)
        try c.encode(run, forKey: .run)
        try c.encodeIfPresent(seq, forKey: .seq)
        try c.encodeIfPresent(step, forKey: .step)
        try c.encodeIfPresent(step, forKey: .stepID)
        try c.encode(message, forKey: .message)
    }
}
