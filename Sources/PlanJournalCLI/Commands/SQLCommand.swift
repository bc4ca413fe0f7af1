import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct SQL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sql",
            abstract: "Query runs, steps and calls with SQL (a read model kept beside the events).",
            discussion: HelpText.reflow("""
                The events are stored compressed; for SQL, planj keeps plain tables beside them: read_runs
                (one row per run), read_steps (one per step of any plan version) and read_calls (one per
                model or tool call). Each command brings them up to date first, reading only runs with new
                events, then runs QUERY on a read-only connection. Without QUERY it lists the tables and
                their columns. They are ordinary tables in the journal's database, so `sqlite3` and `psql`
                read them too (as of the last refresh); they are derived data, outside the hash chain.
                Statements that would write are refused.

                Examples:
                  planj sql "SELECT status, count(*) FROM read_runs GROUP BY status"
                  planj sql "SELECT name, sum(cost_usd) FROM read_calls GROUP BY name" --csv
                  planj sql "SELECT tool, avg(duration_ms) FROM read_steps GROUP BY tool"
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "One SQL statement that reads (SELECT, WITH ...).")
        var query: String?

        @Option(help: "At most this many rows.")
        var limit: Int?

        @Flag(help: "Print a JSON array of objects, one per row (without QUERY: the refresh report, or {\"skipped\": true, \"reason\": …} when the tables were not brought up to date).")
        var json = false

        @Flag(help: "Print CSV (RFC 4180): a header line, then one line per row.")
        var csv = false

        @Flag(help: "Query the tables as they are, without bringing them up to date first.")
        var noRefresh = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                if let limit, limit < 0 { throw JournalError(.usage, "--limit must be 0 or more") }
                if json && csv { throw JournalError(.usage, "choose one of --json and --csv") }
                // A long ingest holds the write lock for its whole input: the refresh waits a
                // little for it, then the query reads the tables as they are.
                let journal = try global.openExisting(configuration: JournalConfiguration(busyTimeoutMilliseconds: Self.lockWait))
                let refreshed: Refresh = noRefresh ? .skipped("no_refresh") : try refresh(journal)
                let unfinished: Bool
                if case .skipped = refreshed, (try? journal.readModelIsUnfinished()) == true {
                    unfinished = true
                    Output.error(
                        "planj: note: the read model's last refresh did not finish (its process was stopped), so some runs "
                            + "are missing from the tables: planj sql without --no-refresh completes them")
                } else {
                    unfinished = false
                }
                guard let query else {
                    switch (json, refreshed) {
                    case (true, .done(let report)): Output.json(report)
                    case (true, .skipped(let why)):
                        Output.line(
                            JSONValue.record(["skipped": .bool(true), "reason": .string(why), "unfinished": unfinished ? .bool(true) : nil])
                                .jsonText)
                    case (false, _): Output.line(Self.tables())
                    }
                    return
                }
                if json || csv {
                    try stream(journal, query)
                    return
                }
                let result = try journal.query(query, limit: limit ?? .max)
                var table = TextTable(header: result.columns)
                table.rows = result.rows.map { $0.map(Self.text) }
                Output.line(table.render())
                if result.rows.count == limit { Output.error("planj: note: showing the first \(result.rows.count) rows (--limit)") }
            }
        }

        /// Brings the read model up to date; `nil`, with a note, when another writer holds the
        /// journal longer than ``lockWait``.
        /// What the refresh before the query did.
        enum Refresh {
            case done(ReadModelReport)
            /// Not brought up to date (`no_refresh`, `busy`, `read_only`): rows as of the last refresh.
            case skipped(String)
        }

        private func refresh(_ journal: Journal) throws(JournalError) -> Refresh {
            let progress = ThrottledProgressLine(enabled: Output.stderrIsTerminal)
            defer { progress.clear() }
            do {
                return .done(
                    try journal.refreshReadModel { done, total in
                        progress.show("read model: \(done) of \(total) runs", final: done == total)
                    })
            } catch where error.isLockTimeout {
                guard (try? journal.query("SELECT 1 FROM read_runs LIMIT 0")) != nil else {
                    throw JournalError(
                        .io,
                        "another process has been writing to the journal for \(Self.lockWait / 1000) s (a long ingest?), and "
                            + "the SQL tables were never built: run planj sql again when it ends",
                        context: .init(journalPath: journal.displayPath))
                }
                Output.error(
                    "planj: note: another process has been writing to the journal for \(Self.lockWait / 1000) s, so the "
                        + "read model was not brought up to date: rows are as of the last refresh")
                return .skipped("busy")
            } catch where error.isReadOnly {
                guard (try? journal.query("SELECT 1 FROM read_runs LIMIT 0")) != nil else {
                    throw JournalError(
                        .io, "the SQL tables were never built, and this user cannot write the journal to build them: run planj sql once as a user who can",
                        context: .init(journalPath: journal.displayPath))
                }
                Output.error(
                    "planj: note: this user cannot write the journal, so the read model was not brought up to date: rows "
                        + "are as of the last refresh (--no-refresh skips it)")
                return .skipped("read_only")
            }
        }

        /// Prints the rows as JSON or CSV as they are read, a block at a time.
        private func stream(_ journal: Journal, _ query: String) throws(JournalError) {
            var block: [UInt8] = []
            var columns: [String] = []
            var rows = 0
            func flush(_ force: Bool) {
                guard force || block.count > 1 << 20 else { return }
                Output.write(block)
                block.removeAll(keepingCapacity: true)
            }
            try journal.query(
                query, limit: limit ?? .max,
                header: { names in
                    columns = names
                    if csv { block += Array((names.map(Self.csvField).joined(separator: ",") + "\r\n").utf8) }
                },
                row: { values in
                    if csv {
                        // On a terminal, text from runs is made harmless, as in the table.
                        let fields = values.map { Self.csvField(Output.stdoutIsATTY ? TerminalText.safe(Self.csvText($0)) : Self.csvText($0)) }
                        block += Array((fields.joined(separator: ",") + "\r\n").utf8)
                    } else {
                        let object = JSONValue.object(zip(columns, values).map { JSONValue.Member($0, Self.json($1)) })
                        block += Array(((rows == 0 ? "[" : ",\n") + object.jsonText).utf8)
                    }
                    rows += 1
                    flush(false)
                })
            if json { block += Array((rows == 0 ? "[]\n" : "]\n").utf8) }
            flush(true)
        }

        /// How long the refresh waits for another writer's lock, in milliseconds.
        static let lockWait: Int32 = 3000

        /// The tables and their columns, as `planj sql` without a query prints them.
        static func tables() -> String {
            ReadModelTables.all.map { table in
                let width = table.columns.map(\.name.count).max() ?? 0
                let columns = table.columns.map { c in
                    "  " + c.name + (c.meaning.isEmpty ? "" : String(repeating: " ", count: width - c.name.count + 2) + c.meaning)
                }
                return ([table.name] + columns).joined(separator: "\n")
            }.joined(separator: "\n\n")
        }

        static func text(_ value: QueryResult.Value) -> String {
            switch value {
            case .null: "NULL"
            case .integer(let n): String(n)
            case .real(let d): String(d)
            case .text(let s): s.replacingOccurrences(of: "\n", with: " ")
            case .blob: "x'" + (value.blobHex ?? "") + "'"
            }
        }

        /// A value as CSV text: NULL is an empty field.
        static func csvText(_ value: QueryResult.Value) -> String {
            if case .null = value { return "" }
            if case .text(let s) = value { return s }
            return text(value)
        }

        /// `field` quoted when it holds a comma, a quote or a line break (RFC 4180).
        static func csvField(_ field: String) -> String {
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }

        static func json(_ value: QueryResult.Value) -> JSONValue {
            switch value {
            case .null: .null
            case .integer(let n): .int(n)
            case .real(let d): .double(d)
            case .text(let s): .string(s)
            case .blob: .string(value.blobHex ?? "")
            }
        }
    }
}
