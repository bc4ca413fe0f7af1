/// A compact binary form of ``PlanState`` for snapshots: several times faster to write and read
/// than its JSON form, and exact (doubles by bit pattern, JSON values as their text).
///
/// Layout: the magic bytes `PJS` and a version byte, then every field in declaration order:
/// integers as zigzag LEB128 varints, strings as a length and UTF-8 bytes, optionals as a 0/1
/// byte then the value, arrays as a count then the elements, doubles as their 64-bit pattern.
/// A JSON snapshot starts with `{`, so both forms can be told apart by the first byte.
///
/// The version byte is also the projection's: it goes up whenever ``PlanProjection`` folds the
/// same events into a different state, so that a snapshot an earlier planj took (which summarizes
/// the events the earlier way) is known to be stale and is not used. Version 2: a step's tool is
/// the plan in force's, and a model call naming no planned step makes up no step. Version 3: a
/// step asked for again after a denial awaits approval (a grant lifts a denial), a retry's
/// duration is unknown until it ends, an attempt skipped while it ran has a duration, a null or
/// unreadable judgement makes the match unknown, and the run's end says what stopped it and why.
/// Version 4: a revision that changes a failed or denied step, or keeps the failed step its
/// replan was for, makes it pending.
extension PlanState {
    /// The first bytes of the binary form of this version.
    package static let binaryMagic: [UInt8] = [UInt8(ascii: "P"), UInt8(ascii: "J"), UInt8(ascii: "S"), 4]

    /// Whether `bytes` hold the binary form of this version (rather than JSON, or an earlier
    /// version's, which this projection would not produce any more).
    package static func isBinary(_ bytes: [UInt8]) -> Bool {
        bytes.count >= binaryMagic.count && bytes[0..<binaryMagic.count].elementsEqual(binaryMagic)
    }

    /// The binary form of this state.
    package func binaryEncoded() -> [UInt8] {
        var w = BinaryWriter()
        w.out.reserveCapacity(4096)
        w.out.append(contentsOf: Self.binaryMagic)
        w.string(run)
        w.int(seq)
        w.optional(goal) { $0.string($1) }
        w.string(status)
        w.optional(startedAt) { $0.int($1.microseconds) }
        w.optional(updatedAt) { $0.int($1.microseconds) }
        w.optional(endedAt) { $0.int($1.microseconds) }
        w.optional(finalAnswer) { $0.string($1) }
        w.optional(stoppedBy) { $0.string($1) }
        w.optional(error) { $0.string($1) }
        w.array(plans) { $0.planVersion($1) }
        w.optional(currentVersion) { $0.int(Int64($1)) }
        w.array(steps) { $0.stepState($1) }
        w.array(approvals) { w, a in
            w.int(a.seq)
            w.string(a.decision)
            w.optional(a.stepID) { $0.string($1) }
            w.optional(a.version) { $0.int(Int64($1)) }
            w.optional(a.actor) { $0.string($1) }
            w.optional(a.text) { $0.string($1) }
        }
        w.array(reviews) { w, r in
            w.int(r.seq)
            w.int(Int64(r.version))
            w.string(r.verdict)
            w.optional(r.reviewer) { $0.string($1) }
        }
        w.array(replans) { w, r in
            w.int(r.seq)
            w.string(r.reason)
            w.optional(r.stepID) { $0.string($1) }
        }
        w.int(totals.events)
        w.int(totals.inputTokens)
        w.int(totals.outputTokens)
        w.double(totals.costUSD)
        w.int(Int64(totals.modelCalls))
        w.int(Int64(totals.toolCalls))
        w.int(Int64(totals.replans))
        return w.out
    }

    /// Reads the binary form.
    /// - Throws: ``BinaryStateError`` when the bytes are not a whole, well-formed binary state.
    package init(binary bytes: [UInt8]) throws(BinaryStateError) {
        guard Self.isBinary(bytes) else { throw BinaryStateError() }
        var r = BinaryReader(bytes: bytes, at: Self.binaryMagic.count)
        self.init(run: try r.string())
        seq = try r.int()
        goal = try r.optional { (r) throws(BinaryStateError) in try r.string() }
        status = try r.string()
        startedAt = try r.optional { (r) throws(BinaryStateError) in Timestamp(microseconds: try r.int()) }
        updatedAt = try r.optional { (r) throws(BinaryStateError) in Timestamp(microseconds: try r.int()) }
        endedAt = try r.optional { (r) throws(BinaryStateError) in Timestamp(microseconds: try r.int()) }
        finalAnswer = try r.optional { (r) throws(BinaryStateError) in try r.string() }
        stoppedBy = try r.optional { (r) throws(BinaryStateError) in try r.string() }
        error = try r.optional { (r) throws(BinaryStateError) in try r.string() }
        plans = try r.array { (r) throws(BinaryStateError) in try r.planVersion() }
        currentVersion = try r.optional { (r) throws(BinaryStateError) in Int(try r.int()) }
        steps = try r.array { (r) throws(BinaryStateError) in try r.stepState() }
        approvals = try r.array { (r) throws(BinaryStateError) in
            Approval(
                seq: try r.int(), decision: try r.string(),
                stepID: try r.optional { (r) throws(BinaryStateError) in try r.string() },
                version: try r.optional { (r) throws(BinaryStateError) in Int(try r.int()) },
                actor: try r.optional { (r) throws(BinaryStateError) in try r.string() },
                text: try r.optional { (r) throws(BinaryStateError) in try r.string() })
        }
        reviews = try r.array { (r) throws(BinaryStateError) in
            Review(
                seq: try r.int(), version: Int(try r.int()), verdict: try r.string(),
                reviewer: try r.optional { (r) throws(BinaryStateError) in try r.string() })
        }
        replans = try r.array { (r) throws(BinaryStateError) in
            Replan(
                seq: try r.int(), reason: try r.string(),
                stepID: try r.optional { (r) throws(BinaryStateError) in try r.string() })
        }
        totals.events = try r.int()
        totals.inputTokens = try r.int()
        totals.outputTokens = try r.int()
        totals.costUSD = try r.double()
        totals.modelCalls = Int(try r.int())
        totals.toolCalls = Int(try r.int())
        totals.replans = Int(try r.int())
        guard r.at == bytes.count else { throw BinaryStateError() }
        for (k, step) in steps.enumerated() { stepIndex[step.id] = k }
    }
}

/// Bytes that are not a binary ``PlanState``.
package struct BinaryStateError: Error, Sendable {}

private struct BinaryWriter {
    var out: [UInt8] = []

    mutating func int(_ v: Int64) {
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while z >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: z) | 0x80)
            z >>= 7
        }
        out.append(UInt8(z))
    }

    mutating func double(_ d: Double) {
        var bits = d.bitPattern
        for _ in 0..<8 {
            out.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func bool(_ b: Bool) { out.append(b ? 1 : 0) }

    mutating func string(_ s: String) {
        int(Int64(s.utf8.count))
        out.append(contentsOf: s.utf8)
    }

    mutating func json(_ v: JSONValue) {
        var text: [UInt8] = []
        v.write(to: &text)
        int(Int64(text.count))
        out.append(contentsOf: text)
    }

    mutating func optional<T>(_ v: T?, _ body: (inout BinaryWriter, T) -> Void) {
        if let v {
            out.append(1)
            body(&self, v)
        } else {
            out.append(0)
        }
    }

    mutating func array<T>(_ items: [T], _ body: (inout BinaryWriter, T) -> Void) {
        int(Int64(items.count))
        for item in items { body(&self, item) }
    }

    mutating func planStep(_ s: PlanStep) {
        string(s.id)
        optional(s.description) { $0.string($1) }
        optional(s.tool) { $0.string($1) }
        optional(s.args) { $0.json($1) }
        array(s.dependsOn) { $0.string($1) }
        optional(s.expectedOutput) { $0.json($1) }
        bool(s.requiresApproval)
    }

    mutating func planVersion(_ p: PlanState.PlanVersion) {
        int(Int64(p.version))
        int(p.seq)
        string(p.origin)
        optional(p.baseVersion) { $0.int(Int64($1)) }
        array(p.steps) { $0.planStep($1) }
        array(p.added) { $0.string($1) }
        array(p.removed) { $0.string($1) }
        array(p.changed) { $0.string($1) }
        optional(p.reason) { $0.string($1) }
        optional(p.rationale) { $0.string($1) }
    }

    mutating func stepState(_ s: PlanState.StepState) {
        string(s.id)
        string(s.status.rawValue)
        int(Int64(s.attempts))
        optional(s.tool) { $0.string($1) }
        optional(s.description) { $0.string($1) }
        optional(s.startedAt) { $0.int($1.microseconds) }
        optional(s.endedAt) { $0.int($1.microseconds) }
        optional(s.durationMs) { $0.double($1) }
        optional(s.outputSummary) { $0.string($1) }
        optional(s.error) { $0.string($1) }
        int(Int64(s.observations))
        optional(s.lastObservationOK) { $0.bool($1) }
        optional(s.matchesExpected) { $0.bool($1) }
        int(s.inputTokens)
        int(s.outputTokens)
        double(s.costUSD)
        int(Int64(s.modelCalls))
        int(Int64(s.toolCalls))
        array(s.versions) { $0.int(Int64($1)) }
    }
}

private struct BinaryReader {
    let bytes: [UInt8]
    var at: Int

    init(bytes: [UInt8], at: Int) {
        self.bytes = bytes
        self.at = at
    }

    mutating func byte() throws(BinaryStateError) -> UInt8 {
        guard at < bytes.count else { throw BinaryStateError() }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func int() throws(BinaryStateError) -> Int64 {
        var z: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw BinaryStateError() }
            z |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
    }

    mutating func count() throws(BinaryStateError) -> Int {
        let n = try int()
        guard n >= 0, n <= bytes.count - at else { throw BinaryStateError() }
        return Int(n)
    }

    mutating func double() throws(BinaryStateError) -> Double {
        var bits: UInt64 = 0
        for k in 0..<8 { bits |= UInt64(try byte()) << (8 * UInt64(k)) }
        return Double(bitPattern: bits)
    }

    mutating func bool() throws(BinaryStateError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw BinaryStateError()
        }
    }

    mutating func raw() throws(BinaryStateError) -> ArraySlice<UInt8> {
        let n = try count()
        defer { at += n }
        return bytes[at..<(at + n)]
    }

    mutating func string() throws(BinaryStateError) -> String {
        String(decoding: try raw(), as: UTF8.self)
    }

    mutating func json() throws(BinaryStateError) -> JSONValue {
        do {
            return try JSONValue(parsing: Array(try raw()))
        } catch {
            throw BinaryStateError()
        }
    }

    mutating func optional<T>(_ body: (inout BinaryReader) throws(BinaryStateError) -> T) throws(BinaryStateError) -> T? {
        try bool() ? try body(&self) : nil
    }

    mutating func array<T>(_ body: (inout BinaryReader) throws(BinaryStateError) -> T) throws(BinaryStateError) -> [T] {
        let n = try count()
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try body(&self)) }
        return out
    }

    mutating func planStep() throws(BinaryStateError) -> PlanStep {
        PlanStep(
            id: try string(), description: try optional { (r) throws(BinaryStateError) in try r.string() },
            tool: try optional { (r) throws(BinaryStateError) in try r.string() },
            args: try optional { (r) throws(BinaryStateError) in try r.json() },
            dependsOn: try array { (r) throws(BinaryStateError) in try r.string() },
            expectedOutput: try optional { (r) throws(BinaryStateError) in try r.json() },
            requiresApproval: try bool())
    }

    mutating func planVersion() throws(BinaryStateError) -> PlanState.PlanVersion {
        PlanState.PlanVersion(
            version: Int(try int()), seq: try int(), origin: try string(),
            baseVersion: try optional { (r) throws(BinaryStateError) in Int(try r.int()) },
            steps: try array { (r) throws(BinaryStateError) in try r.planStep() },
            added: try array { (r) throws(BinaryStateError) in try r.string() },
            removed: try array { (r) throws(BinaryStateError) in try r.string() },
            changed: try array { (r) throws(BinaryStateError) in try r.string() },
            reason: try optional { (r) throws(BinaryStateError) in try r.string() },
            rationale: try optional { (r) throws(BinaryStateError) in try r.string() })
    }

    mutating func stepState() throws(BinaryStateError) -> PlanState.StepState {
        var s = PlanState.StepState(id: try string())
        guard let status = PlanState.StepStatus(rawValue: try string()) else { throw BinaryStateError() }
        s.status = status
        s.attempts = Int(try int())
        s.tool = try optional { (r) throws(BinaryStateError) in try r.string() }
        s.description = try optional { (r) throws(BinaryStateError) in try r.string() }
        s.startedAt = try optional { (r) throws(BinaryStateError) in Timestamp(microseconds: try r.int()) }
        s.endedAt = try optional { (r) throws(BinaryStateError) in Timestamp(microseconds: try r.int()) }
        s.durationMs = try optional { (r) throws(BinaryStateError) in try r.double() }
        s.outputSummary = try optional { (r) throws(BinaryStateError) in try r.string() }
        s.error = try optional { (r) throws(BinaryStateError) in try r.string() }
        s.observations = Int(try int())
        s.lastObservationOK = try optional { (r) throws(BinaryStateError) in try r.bool() }
        s.matchesExpected = try optional { (r) throws(BinaryStateError) in try r.bool() }
        s.inputTokens = try int()
        s.outputTokens = try int()
        s.costUSD = try double()
        s.modelCalls = Int(try int())
        s.toolCalls = Int(try int())
        s.versions = try array { (r) throws(BinaryStateError) in Int(try r.int()) }
        return s
    }
}
