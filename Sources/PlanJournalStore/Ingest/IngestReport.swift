import PlanJournalCore

/// What an ingest did: events written and skipped, runs written and rejected.
public struct IngestReport: Sendable, Codable, Hashable {
    /// The input's name (a file path or `-`).
    public var source: String
    /// Lines read (blank lines included).
    public var lines: Int = 0
    /// Bytes read.
    public var bytes: Int64 = 0
    /// Events appended to the journal.
    public var eventsWritten: Int = 0
    /// Events skipped because the journal already held them (a re-run of the same ingest).
    public var eventsSkipped: Int = 0
    /// Events read whose `ts` said more than microseconds (nanoseconds, a leap second): they are
    /// stored rounded down to the microsecond, as the wire contract keeps times.
    public var timestampsRounded: Int = 0
    /// Events read whose `ts` is integer microseconds before 1973: most likely seconds or
    /// milliseconds, which the contract does not take (they are stored as the microseconds given).
    public var timestampsNearEpoch: Int = 0
    /// The line of the first of them.
    public var firstTimestampNearEpoch: Int?
    /// `call.model` events with a cost or token count that counts 0 (``JournalEvent/uncountedMeasures``).
    public var measuresUncounted: Int = 0
    /// The line of the first of them, and what it holds.
    public var firstMeasureUncounted: Int?
    /// The measures of that event that count 0 (`cost_usd`, `usage.input_tokens`, `usage.output_tokens`).
    public var firstMeasuresUncounted: [String] = []
    /// Events whose kind this version does not know and that is not `x.*`
    /// (``EventKind/isUnknown(_:)``): stored as written, but likely misspelled.
    public var unknownKindEvents: Int = 0
    /// The first ``maxUnknownKinds`` such kinds, each with its count and first line.
    public var unknownKinds: [UnknownKind] = []
    /// How many distinct unknown kinds ``unknownKinds`` lists at most.
    public static let maxUnknownKinds = 20
    /// The input's last line when it was left out as cut off (no newline after it, not valid
    /// JSON: a writer stopped in the middle of it); its run's events before it are ingested.
    public var tornLine: TornLine?
    /// Runs that received events, in first-seen order.
    public var runsWritten: [String] = []
    /// Runs rejected whole, each with the first error found in it.
    public var rejected: [Rejection] = []
    /// Bytes of events moved out of memory to a temporary file, and back, because many runs
    /// were open at once (``IngestOptions/bufferedBytes``); 0 for most inputs.
    public var spilledBytes: Int64 = 0
    /// Wall time in seconds.
    public var seconds: Double = 0

    /// A kind this version does not know, as ingest met it.
    public struct UnknownKind: Sendable, Codable, Hashable {
        /// The kind as written.
        public var kind: String
        /// Events of this kind read.
        public var events: Int
        /// The line of its first event.
        public var line: Int
        /// The known kind it most likely misspells (``EventKind/suggestion(for:)``).
        public var suggestion: String?
    }

    /// Counts an event of unknown kind `kind` read at `line`.
    mutating func countUnknownKind(_ kind: String, line: Int) {
        unknownKindEvents += 1
        if let k = unknownKinds.firstIndex(where: { $0.kind == kind }) {
            unknownKinds[k].events += 1
        } else if unknownKinds.count < Self.maxUnknownKinds {
            unknownKinds.append(
                UnknownKind(kind: kind, events: 1, line: line, suggestion: EventKind.suggestion(for: kind)?.rawValue))
        }
    }

    /// A last line left out as cut off.
    public struct TornLine: Sendable, Codable, Hashable {
        /// Its 1-based line number.
        public var line: Int
        /// Its length in bytes.
        public var bytes: Int
        /// The run it names, when it shows one.
        public var run: String?
        /// Why it is not valid JSON.
        public var reason: String
    }

    /// Whether anything was rejected.
    public var hasRejections: Bool { !rejected.isEmpty }

    /// A run rejected whole (nothing of it was written by this ingest).
    public struct Rejection: Sendable, Codable, Hashable {
        /// The run, when the bad line named one.
        public var run: String?
        /// 1-based line number of the first bad line.
        public var line: Int
        /// The seq of the first bad line, when known.
        public var seq: Int64?
        /// The path of the field at fault (`data.step_id`, `seq`...), when the error names one.
        public var field: String?
        /// The error code, e.g. `event.invalid`.
        public var code: String
        /// What is wrong, as ``JournalError/message`` says it.
        public var message: String
        /// Lines of this run ignored after the first error (for a line that names no run: the
        /// other lines that name none).
        public var ignoredLines: Int = 0

        /// The error this rejection reports.
        public func error(source: String) -> JournalError {
            var e = JournalError(.invalidEvent, message)
            if code == JournalError.Code.syntax.name { e.code = .syntax }
            if code == JournalError.Code.conflict.name { e.code = .conflict }
            e.context = .init(file: source, line: line, run: run, seq: seq, field: field)
            return e
        }
    }
}

/// Progress of a long ingest, reported about once a second: totals since it began, over every
/// file of ``Journal/ingest(files:options:report:)``.
public struct IngestProgress: Sendable {
    /// Lines read.
    public var lines: Int
    /// Bytes read.
    public var bytes: Int64
    /// Events appended to the journal.
    public var eventsWritten: Int
    /// Wall time in seconds.
    public var seconds: Double
    /// Files ingested whole so far, of `filesTotal`.
    public var filesDone = 0
    /// Files to ingest in all.
    public var filesTotal = 1
}
