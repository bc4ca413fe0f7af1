import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "append",
            abstract: "Append events read from standard input, acknowledging each once it is committed.",
            discussion: HelpText.reflow("""
                The streaming side of the subprocess protocol: an agent in any language starts
                `planj append` and writes one wire-format event per line to its standard input. Each line is
                appended as its own atomic batch, and once it is committed planj prints one JSON line on
                standard output:
                  {"ok":true,"line":1,"run":"r1","seq":1,"head_hash":"…"}
                An event the journal already holds, byte for byte, is acknowledged again with
                "duplicate":true (and the head_hash it had then) and not written twice, so an agent that
                lost an acknowledgement can send the line again. Otherwise, when the event is rejected (the journal is unchanged by it):
                  {"ok":false,"line":2,"error":{"code":"event.invalid","field":"data.goal",…}}
                Lines after a rejected one are still appended. Each event's seq says where it goes, which is
                the expected-version check: a seq the run holds with another event is a conflict
                ("append.conflict", the run's head in "head": write yours after it), a gap is invalid. The
                exit status is 1 when any line was rejected. When the journal itself fails (a full disk, a database server gone), that
                line's error is printed and planj stops with exit status 8: the lines after it are not read.
                An acknowledged event survives a crash of planj or of the agent; with --durability full, also
                of the machine or the database server.
                """))

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Kept for scripts that give it: each event's seq already says where it goes.")
        var expectHead = false

        @Option(help: "The longest line accepted as one event, in bytes (16 MiB, as ingest takes it, so that what append writes ingests back).")
        var maxLineBytes = 16 << 20

        @Option(help: ArgumentHelp("Durability: normal or full (SQLite synchronous=NORMAL/FULL; PostgreSQL synchronous_commit off/on).", valueName: "mode"))
        var durability: String = "normal"

        func run() async throws {
            try await reportingErrors(verbose: global.verbose) {
                var config = JournalConfiguration()
                switch durability {
                case "normal": config.durability = .normal
                case "full": config.durability = .full
                default: throw JournalError(.usage, "--durability must be normal or full")
                }
                try StandardDescriptors.requireInput()
                let journal = try global.open(configuration: config)
                var rejected = 0
                var notedEpoch = false
                var notedKinds: Set<String> = []
                try await StreamLines.forEach(fileDescriptor: 0, maxLineBytes: maxLineBytes) { number, line, length in
                    guard !LineBuffer.isBlank(line) else { return }
                    do {
                        guard length <= maxLineBytes else {
                            throw JournalError(
                                .syntax,
                                "the line is \(length) bytes, over the \(maxLineBytes)-byte limit for one event (--max-line-bytes raises it)")
                        }
                        var note: TimestampNote?
                        let event = try JournalEvent(parsing: line, timestampNote: &note)
                        if note == .integerNearEpoch && !notedEpoch {
                            // Once: the event is valid, and ingest says the same of a file.
                            notedEpoch = true
                            Output.error(
                                "planj: note: line \(number) has an integer ts before 1973: an integer ts is microseconds since "
                                    + "the epoch, so seconds or milliseconds land in 1970; multiply by 1000000 or 1000, or write "
                                    + "an RFC 3339 time")
                        }
                        let result = try await journal.append(
                            [event], to: event.run, expecting: expectHead ? .exactly(event.seq - 1) : .any)
                        Output.json(Ack(ok: true, line: number, run: result.run, seq: result.lastSeq, headHash: result.headHash), pretty: false)
                        // Once per kind, as ingest notes a file's.
                        if event.knownKind == nil, EventKind.isUnknown(event.kind), notedKinds.count < 20,
                            notedKinds.insert(event.kind).inserted
                        {
                            Output.error("planj: note: line \(number): " + EventKind.unknownKindNote(event.kind))
                        }
                    } catch let thrown as JournalError {
                        if thrown.code == .conflict, let ack = try duplicate(of: line, number: number, in: journal) {
                            Output.json(ack, pretty: false)
                            return
                        }
                        var error =
                            thrown.code == .conflict
                            ? explained(thrown, line: line, in: journal)
                            : thrown.code == .syntax ? ParsedLine.carriageReturnsAlone(line) ?? Self.advised(thrown, line) : thrown
                        // A line that does not parse says its run and seq when it still shows them, as ingest's do.
                        if error.context.run == nil { error.context.run = ParsedLine.salvageRunID(line) }
                        if error.context.seq == nil { error.context.seq = ParsedLine.salvageSeq(line) }
                        rejected += 1
                        var json = ErrorJSON(error)
                        if error.code == .conflict, let run = error.context.run { json.head = try? journal.run(run).events }
                        Output.json(Nack(line: number, error: json), pretty: false)
                        // The event was fine, the journal is not: every later line would fail too.
                        if ![.syntax, .invalidEvent, .conflict, .notFound].contains(error.code) { throw error }
                    }
                }
                // Everything acknowledged goes into the database file now (not left in the log).
                try journal.close()
                if rejected > 0 { throw ExitCode(1) }
            }
        }

        /// The acknowledgement of a line whose event the journal already holds with the same bytes
        /// (a retry after a lost acknowledgement), or `nil`.
        private func duplicate(of line: [UInt8], number: Int, in journal: Journal) throws -> Ack? {
            guard let event = try? JournalEvent(parsing: line),
                let stored = try journal.events(of: event.run, from: event.seq, to: event.seq).first,
                stored.bytes == event.bytes
            else { return nil }
            // The chain's hash at that event, as its first acknowledgement said.
            let hash = try journal.chainHash(of: event.run, at: event.seq)
            return Ack(ok: true, line: number, run: event.run, seq: event.seq, headHash: hash, duplicate: true)
        }

        /// What a conflict of the line's event was, said plainly: a seq the run already holds with
        /// another event (not a duplicate: that is acknowledged), or with --expect-head a seq past
        /// the head + 1 (a gap, not another writer's doing).
        private func explained(_ conflict: JournalError, line: [UInt8], in journal: Journal) -> JournalError {
            guard let event = try? JournalEvent(parsing: line) else { return conflict }
            let head = (try? journal.run(event.run).events) ?? 0
            if event.seq <= head {
                // Who took the seq: often another process (`planj approve`, `planj cancel`), whose
                // events the agent must count too.
                let held = (try? journal.events(of: event.run, from: event.seq, to: event.seq))?.first
                let what = held.map { " (\($0.kind)" + ($0.actor.map { " by \($0)" } ?? "") + ")" } ?? ""
                // Nothing follows a run's end: there is no after to point to.
                let ended = (try? journal.events(of: event.run, from: head, to: head))?.first?.knownKind == .runCompleted
                return JournalError(
                    .conflict,
                    "the run already holds a different event at seq \(event.seq)\(what) (its head is \(head)); events cannot be "
                        + (ended ? "replaced, and the run has ended: write them to a new run" : "replaced: write yours after the head"),
                    context: .init(run: event.run, seq: event.seq, field: "seq"))
            }
            guard expectHead, event.seq > head + 1 else { return conflict }
            return JournalError(
                .invalidEvent, "seq jumps from \(head) to \(event.seq): seq must be continuous",
                context: .init(run: event.run, seq: event.seq, field: "seq"))
        }

        /// A syntax error with advice for a line that opens an object and ends there (pretty JSON).
        private static func advised(_ error: JournalError, _ line: [UInt8]) -> JournalError {
            guard let advice = ParsedLine.openedObjectOnly(line) else { return error }
            var advised = error
            advised.message += advice
            return advised
        }

        struct Ack: Encodable {
            var ok: Bool
            var line: Int
            var run: String
            var seq: Int64
            var headHash: String
            /// Set when the journal already held the event (nothing was written).
            var duplicate: Bool?
        }

        struct Nack: Encodable {
            var ok = false
            var line: Int
            var error: ErrorJSON
        }
    }
}

/// Reads lines from a file descriptor as they arrive (no waiting for more input once a line is
/// complete, so acknowledgements stay timely). A line over `maxLineBytes` is handed on cut short,
/// with its length: memory stays bounded whatever the input.
enum StreamLines {
    static func forEach(
        fileDescriptor fd: Int32, maxLineBytes: Int, _ body: (_ number: Int, _ line: [UInt8], _ length: Int) async throws -> Void
    ) async throws {
        let input = FileDescriptor(fd)
        var pending = LineBuffer(maxLineBytes: maxLineBytes)
        var number = 0
        while let block = try input.readBlock(upTo: 64 * 1024, failure: "cannot read standard input") {
            pending.append(block)
            while let line = pending.nextLine() {
                number += 1
                // A byte order mark before the first line (Windows and .NET writers put one), as
                // ingest and import allow.
                let bytes = number == 1 ? LineBuffer.droppingByteOrderMark(line) : line
                try await body(number, Array(bytes), pending.lastLineLength - (line.count - bytes.count))
            }
        }
        if !pending.rest.isEmpty {
            number += 1
            try await body(number, Array(pending.rest), pending.restLength)
        }
    }
}
