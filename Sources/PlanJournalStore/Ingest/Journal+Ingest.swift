import Foundation
import PlanJournalCore

/// Options of ``Journal/ingest(file:options:)``.
public struct IngestOptions: Sendable {
    /// The longest line accepted as one event (default 16 MiB); a longer one rejects its run.
    public var maxLineBytes: Int
    /// Called about once a second during a long ingest.
    public var progress: (@Sendable (IngestProgress) -> Void)?

    public init(maxLineBytes: Int = 16 << 20, progress: (@Sendable (IngestProgress) -> Void)? = nil) {
        self.maxLineBytes = maxLineBytes
        self.progress = progress
    }
}

extension Journal {
    /// Ingests a JSON Lines file in the wire format (`-` reads standard input): any number of
    /// interleaved runs, each validated whole. A run with a bad line is rejected and nothing of it is
    /// written; the other runs land. Events the journal already holds (same run, seq and bytes) are
    /// skipped, so an interrupted ingest is finished by running it again.
    /// - Returns: the report; rejected runs are listed in it, not thrown.
    /// - Throws: `.usage` when the file cannot be read, `.io` when the database fails (nothing is written).
    public func ingest(file path: String, options: IngestOptions = IngestOptions()) throws(JournalError) -> IngestReport {
        try ingest(source: path, options: options, lockingRuns: true) { (push) throws(JournalError) in
            try Self.readFile(path, push)
        }
    }

    /// Ingests JSON Lines given as text (for tests and agents written in Swift).
    public func ingest(text: String, source: String = "<text>", options: IngestOptions = IngestOptions())
        throws(JournalError) -> IngestReport
    {
        try ingest(source: source, options: options, lockingRuns: true) { (push) throws(JournalError) in
            try push(Array(text.utf8))
        }
    }

    /// Ingests the bytes `produce` pushes (on a reader thread), inside one transaction; `beforeCommit`
    /// runs in that transaction after every event is stored, and what it throws undoes the ingest.
    /// - Parameter lockingRuns: lock each run as the input meets it (``SQLDatabase/lockRun(_:)``),
    ///   so that ingests of disjoint runs commit side by side on PostgreSQL; otherwise the whole
    ///   journal is locked (what `beforeCommit` writes may reach beyond the input's runs).
    func ingest(
        source: String, options: IngestOptions, lockingRuns: Bool = false,
        produce: @escaping @Sendable (ParsePipeline.Push) throws(JournalError) -> Void,
        beforeCommit: ((JournalWriter, IngestReport) throws(JournalError) -> Void)? = nil
    ) throws(JournalError) -> IngestReport {
        let clock = ContinuousClock()
        let started = clock.now
        var lastProgress = started
        return try withWriter { (writer) throws(JournalError) in
            let session = IngestSession(writer: writer, source: source, lockingRuns: lockingRuns)
            let pipeline = ParsePipeline(maxLineBytes: options.maxLineBytes, produce: produce)
            var bytes: Int64 = 0
            do throws(JournalError) {
                if lockingRuns { try writer.db.beginRunWrites() } else { try writer.db.beginWrite() }
                writer.beginBackgroundCompression()
                while var batch = try pipeline.next() {
                    bytes = batch.bytesRead
                    // Each line is moved out of the batch (iterating would copy it, retaining
                    // every buffer of its event, and release them all again with the batch).
                    batch.lines.reverse()
                    while let line = batch.lines.popLast() { try session.consume(line) }
                    if let progress = options.progress, clock.now - lastProgress > .seconds(1) {
                        lastProgress = clock.now
                        progress(
                            IngestProgress(
                                lines: session.report.lines, bytes: bytes, eventsWritten: session.report.eventsWritten,
                                seconds: Self.seconds(clock.now - started)))
                    }
                }
                var report = try session.finish()
                try writer.endBackgroundCompression()
                try beforeCommit?(writer, report)
                try writer.db.run("COMMIT")
                report.bytes = bytes
                report.seconds = Self.seconds(clock.now - started)
                return report
            } catch {
                pipeline.cancel()
                if writer.db.inTransaction { try? writer.db.run("ROLLBACK") }
                writer.dropCache()
                throw error.adding(journalPath: displayPath, file: source)
            }
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Reads a file (or standard input for `-`) in blocks of up to 1 MiB.
    static func readFile(_ path: String, _ push: ParsePipeline.Push) throws(JournalError) {
        let input = try InputFile(path: path)
        while let block = try input.nextBlock(upTo: 1 << 20) { try push(block) }
    }
}
