import Foundation
import PlanJournalCore

/// Options of ``Journal/ingest(file:options:)``.
public struct IngestOptions: Sendable {
    /// The longest line accepted as one event (default 16 MiB); a longer one rejects its run.
    public var maxLineBytes: Int
    /// Called about once a second during a long ingest.
    public var progress: (@Sendable (IngestProgress) -> Void)?

    /// With ``Journal/ingest(files:options:report:)``: consecutive files share a transaction
    /// until it holds this many bytes of input (default 16 MiB)...
    public var groupBytes: Int64
    /// ... or has been open this long (default 0.5 s); a file larger than either has its own.
    public var groupSeconds: Double
    /// The most bytes of events that runs still open may hold in memory until they fill a chunk
    /// (default 32 MiB). Past it, the runs holding the most move theirs to a temporary file (in
    /// `$TMPDIR`) until their chunk is written: an input where thousands of runs are open at once
    /// (events in time order, say) does not hold nearly all of itself in memory. Chunks are the
    /// same either way; if the temporary file cannot be written, the events stay in memory.
    public var bufferedBytes: Int

    /// Creates options; each parameter sets the property of the same name.
    /// - Parameters:
    ///   - maxLineBytes: the longest line taken as one event (default 16 MiB).
    ///   - progress: called about once a second during a long ingest (default none).
    ///   - groupBytes: the input bytes consecutive files share a transaction up to (default 16 MiB).
    ///   - groupSeconds: how long such a transaction stays open at most (default 0.5 s).
    ///   - bufferedBytes: the bytes of events open runs hold in memory before some spill to a
    ///     temporary file (default 32 MiB).
    public init(
        maxLineBytes: Int = 16 << 20, progress: (@Sendable (IngestProgress) -> Void)? = nil,
        groupBytes: Int64 = 16 << 20, groupSeconds: Double = 0.5, bufferedBytes: Int = 32 << 20
    ) {
        self.maxLineBytes = maxLineBytes
        self.progress = progress
        self.groupBytes = groupBytes
        self.groupSeconds = groupSeconds
        self.bufferedBytes = bufferedBytes
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

    /// Ingests files one after another, as one command: each is validated and reported on its
    /// own (a run may start in one file and continue in the next, as rotated logs do), and
    /// `report` is called for each, in order, once its events are committed.
    ///
    /// Consecutive files share a transaction until it holds ``IngestOptions/groupBytes`` of input
    /// or has been open for ``IngestOptions/groupSeconds``: one file per run (how many agents log)
    /// would otherwise pay a commit per file, and the writer would wait for each file's last chunk
    /// to be compressed instead of going on with the next file.
    /// - Throws: `.usage` when a file cannot be opened (checked for every file before anything is
    ///   written), `.io` when the database fails; what the open transaction held is then rolled
    ///   back, and the files it held are not reported.
    public func ingest(
        files: [String], options: IngestOptions = IngestOptions(), report: (IngestReport) -> Void
    ) throws(JournalError) {
        guard !files.isEmpty else { return }
        try Self.checkInputs(files)
        let clock = ContinuousClock()
        try withWriter { (writer) throws(JournalError) in
            let pipeline = ParsePipeline(maxLineBytes: options.maxLineBytes, sources: { (push, endSource) throws(JournalError) in
                for (k, file) in files.enumerated() {
                    if k > 0 { try endSource() }
                    try Self.readFile(file, push)
                }
            })
            var index = 0
            var tally = ProgressTally(filesTotal: files.count)
            var committed: [IngestReport] = []
            var groupStart = clock.now
            var groupBytes: Int64 = 0
            do throws(JournalError) {
                while index < files.count {
                    if !writer.db.inTransaction {
                        pipeline.waitForInput()
                        try writer.db.beginRunWrites()
                        writer.beginBackgroundCompression()
                        groupStart = clock.now
                        groupBytes = 0
                    }
                    let session = IngestSession(
                        writer: writer, source: files[index], lockingRuns: true, bufferedBytes: options.bufferedBytes)
                    committed.append(try consumeSource(pipeline, into: session, options: options, tally: &tally))
                    groupBytes += committed[committed.count - 1].bytes
                    index += 1
                    if index == files.count || groupBytes >= options.groupBytes
                        || clock.now - groupStart >= .seconds(options.groupSeconds)
                    {
                        let committing = clock.now
                        try writer.endBackgroundCompression()
                        try writer.db.run("COMMIT")
                        committed[committed.count - 1].seconds += Self.seconds(clock.now - committing)
                        committed.forEach(report)
                        committed.removeAll()
                    }
                }
            } catch {
                pipeline.cancel()
                if writer.db.inTransaction { try? writer.db.run("ROLLBACK") }
                writer.dropCache()
                throw error.adding(journalPath: displayPath, file: files[min(index, files.count - 1)])
            }
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
        return try withWriter { (writer) throws(JournalError) in
            let session = IngestSession(
                writer: writer, source: source, lockingRuns: lockingRuns, bufferedBytes: options.bufferedBytes)
            let pipeline = ParsePipeline(maxLineBytes: options.maxLineBytes, produce: produce)
            do throws(JournalError) {
                pipeline.waitForInput()
                if lockingRuns { try writer.db.beginRunWrites() } else { try writer.db.beginWrite() }
                writer.beginBackgroundCompression()
                var tally = ProgressTally(filesTotal: 1)
                var report = try consumeSource(pipeline, into: session, options: options, tally: &tally)
                try writer.endBackgroundCompression()
                try beforeCommit?(writer, report)
                try writer.db.run("COMMIT")
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

    /// What the sources before this one added up to, for progress over a whole command.
    struct ProgressTally {
        let filesTotal: Int
        var filesDone = 0
        var lines = 0
        var bytes: Int64 = 0
        var eventsWritten = 0
        let started = ContinuousClock.now
        var lastReport = ContinuousClock.now

        init(filesTotal: Int) {
            self.filesTotal = filesTotal
        }

        mutating func add(_ report: IngestReport) {
            filesDone += 1
            lines += report.lines
            bytes += report.bytes
            eventsWritten += report.eventsWritten
        }
    }

    /// Feeds the pipeline's lines of one source to `session`, up to the source's end, with
    /// progress about once a second; the report's `bytes` and `seconds` are the source's.
    private func consumeSource(
        _ pipeline: ParsePipeline, into session: IngestSession, options: IngestOptions, tally: inout ProgressTally
    ) throws(JournalError) -> IngestReport {
        let clock = ContinuousClock()
        let started = clock.now
        var bytes: Int64 = 0
        while var batch = try pipeline.next() {
            bytes = batch.bytesRead
            // Each line is moved out of the batch (iterating would copy it, retaining every
            // buffer of its event, and release them all again with the batch).
            batch.lines.reverse()
            while let line = batch.lines.popLast() { try session.consume(line) }
            if let progress = options.progress, clock.now - tally.lastReport > .seconds(1) {
                tally.lastReport = clock.now
                progress(
                    IngestProgress(
                        lines: tally.lines + session.report.lines, bytes: tally.bytes + bytes,
                        eventsWritten: tally.eventsWritten + session.report.eventsWritten,
                        seconds: Self.seconds(clock.now - tally.started), filesDone: tally.filesDone,
                        filesTotal: tally.filesTotal))
            }
            if batch.endsSource { break }
        }
        var report = try session.finish()
        report.bytes = bytes
        report.seconds = Self.seconds(clock.now - started)
        tally.add(report)
        return report
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Throws what reading `files` would throw at once, without reading them: a file that is
    /// missing, unreadable or a directory (`-` and anything but a regular file, a FIFO say, are
    /// left to the read).
    /// - Throws: `.usage` naming the file.
    public static func checkInputs(_ files: [String]) throws(JournalError) {
        for file in files { try InputFile.check(path: file) }
    }

    /// Reads a file (or standard input for `-`) in blocks of up to 1 MiB.
    static func readFile(_ path: String, _ push: ParsePipeline.Push) throws(JournalError) {
        let input = try InputFile(path: path)
        while let block = try input.nextBlock(upTo: 1 << 20) { try push(block) }
    }
}
