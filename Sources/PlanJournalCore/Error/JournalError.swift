/// The one error type of PlanJournal: a stable code, a message that names the journal, run, seq
/// and field involved, and the error underneath when there is one.
///
/// Match codes with `catch let e as JournalError where e.code == .conflict`, or
/// `catch JournalError.Code.conflict`.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    /// A stable, growable error code; ``Code/name`` is the string scripts see (`append.conflict`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The stable dotted name, e.g. `event.invalid`.
        public let name: String
        /// The process exit status the command line uses for this code.
        public let exitStatus: Int32

        private init(_ name: String, _ exitStatus: Int32) {
            self.name = name
            self.exitStatus = exitStatus
        }

        /// A line is not JSON, not UTF-8, or cut off.
        public static let syntax = Code("event.syntax", 3)
        /// An event breaks the wire contract (missing field, wrong type, seq gap, cycle, unknown step...).
        public static let invalidEvent = Code("event.invalid", 3)
        /// An input file is not what it should be: not a stream of LZ4 frames, cut off, a frame
        /// whose checksum fails, a damaged record of the file (a `.pjl` to import or copy).
        public static let badInput = Code("input.invalid", 3)
        /// Another writer appended first: the expected seq is stale.
        public static let conflict = Code("append.conflict", 4)
        /// The named run is not in the journal.
        public static let notFound = Code("run.not_found", 5)
        /// A command that only reads was given a journal file that does not exist (a mistyped
        /// path must not read as an empty journal that verifies).
        public static let journalNotFound = Code("journal.not_found", 5)
        /// Stored bytes do not match their checksum, or cannot be decoded.
        public static let corrupt = Code("journal.corrupt", 6)
        /// A recomputed hash chain differs from the stored one.
        public static let chainBroken = Code("journal.chain_broken", 6)
        /// A seal does not hold: its signature does not verify, or an event it covers was changed.
        public static let sealBroken = Code("seal.broken", 6)
        /// A seal is by a key that is not trusted, or a run has no seal by a trusted key.
        public static let sealUntrusted = Code("seal.untrusted", 1)
        /// The journal was written by a newer PlanJournal.
        public static let unsupportedVersion = Code("journal.unsupported_version", 7)
        /// The file system or the database engine failed.
        public static let io = Code("journal.io", 8)
        /// The connection to the database server was lost while it committed: the write may or may
        /// not be in the journal (read the run's head before writing it again). An append reads
        /// it on a new connection itself, and fails so only when another writer wrote the run
        /// meanwhile or the server cannot be reached again.
        public static let commitUncertain = Code("journal.commit_uncertain", 8)
        /// A command was used wrongly (bad option value, an input file that does not exist).
        public static let usage = Code("usage", 2)

        public var description: String { name }
    }

    /// Where the error happened; every field is optional.
    public struct Context: Sendable, Hashable {
        /// The journal involved, as messages show it (a database URL without its password).
        public var journalPath: String?
        /// The input file being read (by ingest, import or copy), as it was given.
        public var file: String?
        /// The 1-based line number in ``file``.
        public var line: Int?
        /// The run id.
        public var run: String?
        /// The event's seq within ``run``.
        public var seq: Int64?
        /// The event kind, e.g. `step.started`. ``JournalError/description`` does not show it.
        public var kind: String?
        /// The path of the field at fault, e.g. `data.steps[2].id` or `seq`.
        public var field: String?

        /// Creates a context; every field left out is `nil`.
        public init(
            journalPath: String? = nil, file: String? = nil, line: Int? = nil, run: String? = nil, seq: Int64? = nil,
            kind: String? = nil, field: String? = nil
        ) {
            self.journalPath = journalPath
            self.file = file
            self.line = line
            self.run = run
            self.seq = seq
            self.kind = kind
            self.field = field
        }
    }

    /// What kind of failure this is. Match on it (``Code/conflict``, ``Code/notFound``, ``Code/io``...),
    /// never on ``message``.
    public var code: Code
    /// What went wrong and, where it helps, what to do next. Never holds payload content.
    public var message: String
    /// Where the error happened: the journal, input file and line, run, seq and field, as far as known.
    public var context: Context
    /// The lower-level error (SQLite, LZ4, file system), when there is one.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, context: Context = Context(), cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.cause = cause
    }

    /// Whether this reports stored bytes that are damaged (``Code/corrupt``, ``Code/chainBroken``).
    public var isDamage: Bool { code == .corrupt || code == .chainBroken }

    /// One line: where, then what: `journal.sqlite: line 2: run r-bad seq 3: data.step_id: ...`.
    public var description: String {
        var parts: [String] = []
        if let p = context.journalPath { parts.append(p) }
        if let f = context.file { parts.append(f) }
        if let l = context.line { parts.append("line \(l)") }
        var where_: [String] = []
        // A run id is at most 128 bytes, but the one of a rejected line may be anything.
        if let r = context.run {
            // On one line: a newline in a rejected line's run id must not start a line of its own.
            let shown = r.count > 160 ? r.prefix(160) + "… (\(r.utf8.count) bytes)" : r
            var line = String.UnicodeScalarView()
            for u in shown.unicodeScalars {
                switch u {
                case "\n": line.append(contentsOf: "\\n".unicodeScalars)
                case "\r": line.append(contentsOf: "\\r".unicodeScalars)
                default: line.append(u)
                }
            }
            where_.append("run " + String(line))
        }
        if let s = context.seq { where_.append("seq \(s)") }
        if !where_.isEmpty { parts.append(where_.joined(separator: " ")) }
        if let f = context.field { parts.append("field \(f)") }
        parts.append(message)
        return parts.joined(separator: ": ")
    }

    /// A tree of this error and its causes, for `--verbose`.
    public func detailedDescription() -> String {
        var text = "[\(code.name)] \(description)"
        if let cause { text += "\n  caused by: \(String(describing: cause))" }
        return text
    }

    /// Returns a copy with context fields filled in where they were empty.
    public func adding(
        journalPath: String? = nil, file: String? = nil, line: Int? = nil, run: String? = nil, seq: Int64? = nil
    ) -> JournalError {
        var e = self
        e.context.journalPath = e.context.journalPath ?? journalPath
        e.context.file = e.context.file ?? file
        e.context.line = e.context.line ?? line
        e.context.run = e.context.run ?? run
        e.context.seq = e.context.seq ?? seq
        return e
    }
}

/// Lets `catch JournalError.Code.conflict` match a ``JournalError`` by its code.
public func ~= (code: JournalError.Code, error: any Error) -> Bool {
    (error as? JournalError)?.code == code
}

extension JournalError {
    /// An ``Code/invalidEvent`` error about `field`.
    public static func invalid(_ field: String?, _ message: String, run: String? = nil, seq: Int64? = nil) -> JournalError {
        JournalError(.invalidEvent, message, context: Context(run: run, seq: seq, field: field))
    }
}
