/// The tables of the SQL read model: runs, steps and calls as plain rows, for queries in SQL
/// (`planj sql`, `sqlite3`, `psql`). They are derived from the events (see
/// ``Journal/refreshReadModel(progress:)``), never read by the journal itself, and not covered
/// by the hash chain: dropping them loses nothing.
enum ReadModelSchema {
    /// The version of the tables' definitions and of the projection that fills them (2: tools follow
    /// the plan in force, calls make up no steps; 3: an observation fills only the latest call
    /// before it with its `call_id`; 4: a call of its own step; 5: PlanState's binary version 3,
    /// and a call's negative token count is 0 as in every sum; 6: a run's `stopped_by` and
    /// `error`, a fork's duration without the wait before it; 7: PlanState's binary version 4, a
    /// tool call's observation found under either spelling of its step id); tables of another
    /// version are dropped and rebuilt.
    static let version = "7"

    /// The tables, in the order they are created (and dropped in reverse).
    static var tables: [String] { ReadModelTables.all.map(\.name) }

    /// The statements creating the tables (if missing) in `dialect`.
    static func create(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .postgres ? "BIGINT" : "INTEGER"
        let real = dialect == .postgres ? "DOUBLE PRECISION" : "REAL"
        return [
            """
            CREATE TABLE IF NOT EXISTS read_runs(
                run TEXT PRIMARY KEY, goal TEXT, status TEXT NOT NULL, events \(int) NOT NULL,
                started_at TEXT, ended_at TEXT, duration_ms \(real), parent TEXT, fork_seq \(int),
                plan_versions \(int) NOT NULL, steps \(int) NOT NULL, steps_completed \(int) NOT NULL,
                steps_failed \(int) NOT NULL, replans \(int) NOT NULL, model_calls \(int) NOT NULL,
                tool_calls \(int) NOT NULL, input_tokens \(int) NOT NULL, output_tokens \(int) NOT NULL,
                cost_usd \(real) NOT NULL, stopped_by TEXT, error TEXT)
            """,
            """
            CREATE TABLE IF NOT EXISTS read_steps(
                run TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL, attempts \(int) NOT NULL,
                tool TEXT, description TEXT, first_version \(int), last_version \(int), started_at TEXT,
                ended_at TEXT, duration_ms \(real), model_calls \(int) NOT NULL, tool_calls \(int) NOT NULL,
                observations \(int) NOT NULL, matches_expected \(int), input_tokens \(int) NOT NULL,
                output_tokens \(int) NOT NULL, cost_usd \(real) NOT NULL, error TEXT, output_summary TEXT,
                PRIMARY KEY(run, step_id))
            """,
            """
            CREATE TABLE IF NOT EXISTS read_calls(
                run TEXT NOT NULL, seq \(int) NOT NULL, ts TEXT NOT NULL, kind TEXT NOT NULL, step_id TEXT,
                name TEXT, purpose TEXT, call_id TEXT, input_tokens \(int), output_tokens \(int),
                cost_usd \(real), latency_ms \(real), ok \(int), duration_ms \(real), bytes \(int),
                PRIMARY KEY(run, seq))
            """,
            "CREATE INDEX IF NOT EXISTS read_calls_by_call ON read_calls(run, call_id) WHERE call_id IS NOT NULL",
        ]
    }
}

/// The tables of the SQL read model and what their columns hold (``Journal/refreshReadModel(progress:)``).
public enum ReadModelTables {
    /// One table.
    public struct Table: Sendable {
        /// The table's name in the journal's database, e.g. `read_runs`.
        public let name: String
        /// Its columns, in their order in the table.
        public let columns: [Column]

        init(_ name: String, _ columns: [Column]) {
            self.name = name
            self.columns = columns
        }
    }

    /// One column and what it holds (empty when its name says it all).
    public struct Column: Sendable {
        /// The column's name.
        public let name: String
        /// What the column holds, in a few words; empty when the name says it all.
        public let meaning: String

        init(_ name: String, _ meaning: String) {
            self.name = name
            self.meaning = meaning
        }
    }

    /// An `INSERT` of `rows` rows of `table`'s columns in their order (up to `through`, when
    /// given), with one parameter each, then `conflict`; with `updatingAllBut`, an upsert setting
    /// every other inserted column from `excluded`.
    static func insert(
        into table: String, through last: String? = nil, conflict: String = "", updatingAllBut keys: Set<String>? = nil,
        rows: Int = 1
    ) -> String {
        let all = (all.first { $0.name == table }?.columns ?? []).map(\.name)
        let names = last.flatMap { l in all.firstIndex(of: l).map { Array(all[...$0]) } } ?? all
        let row = "(" + Array(repeating: "?", count: names.count).joined(separator: ", ") + ")"
        var sql = "INSERT INTO \(table)(\(names.joined(separator: ", "))) VALUES "
            + Array(repeating: row, count: max(1, rows)).joined(separator: ", ")
        if !conflict.isEmpty { sql += " " + conflict }
        if let keys {
            sql += " " + names.filter { !keys.contains($0) }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        }
        return sql
    }

    /// Every table, in the order they are created.
    public static let all: [Table] = [
        .init(
            "read_runs",
            [
                .init("run", "run id"), .init("goal", "the goal"), .init("status", "running, succeeded, failed, ..."),
                .init("events", "events folded (the run's last seq when fresh)"),
                .init("started_at", "RFC 3339 UTC"), .init("ended_at", "RFC 3339 UTC, when completed"),
                .init("duration_ms", "from run.started to run.completed (a fork's without the time before its own first event)"), .init("parent", "the run it was forked from"),
                .init("fork_seq", "the seq it was forked at"), .init("plan_versions", "plans proposed and revised"),
                .init("steps", "steps of the current plan"), .init("steps_completed", "of them, completed"),
                .init("steps_failed", "of them, failed"), .init("replans", "replans triggered"),
                .init("model_calls", "call.model events"), .init("tool_calls", "call.tool events"),
                .init("input_tokens", ""), .init("output_tokens", ""), .init("cost_usd", ""),
                .init("stopped_by", "what stopped the run, as run.completed says (a limit, cancelled, ...)"),
                .init("error", "the error it ended with: its type, a colon, its message"),
            ]
        ),
        .init(
            "read_steps",
            [
                .init("run", "run id"), .init("step_id", "the step's id"),
                .init("status", "pending, awaiting_approval, running, completed, failed, skipped, denied, removed"),
                .init("attempts", "its last attempt number (the times started, when attempts count from 1)"),
                .init("tool", "its tool in the plan in force (or as its last start named it)"),
                .init("description", "its description"),
                .init("first_version", "the first plan version holding it"),
                .init("last_version", "the last plan version holding it"), .init("started_at", "RFC 3339 UTC"),
                .init("ended_at", "RFC 3339 UTC"), .init("duration_ms", "of the last attempt"),
                .init("model_calls", ""), .init("tool_calls", ""), .init("observations", "step.observed events"),
                .init("matches_expected", "1 or 0 as last observed, else NULL"), .init("input_tokens", ""),
                .init("output_tokens", ""), .init("cost_usd", ""), .init("error", "why it failed (cleared when an attempt succeeds)"),
                .init("output_summary", "its output, summarized"),
            ]
        ),
        .init(
            "read_calls",
            [
                .init("run", "run id"), .init("seq", "the call's event"), .init("ts", "RFC 3339 UTC"),
                .init("kind", "model or tool"), .init("step_id", "NULL for planning calls"),
                .init("name", "the model or the tool"), .init("purpose", "a model call's purpose"),
                .init("call_id", "links a tool call to its observation"), .init("input_tokens", ""),
                .init("output_tokens", ""), .init("cost_usd", ""), .init("latency_ms", "a model call's latency"),
                .init("ok", "1 or 0: the tool call's observation said ok"),
                .init("duration_ms", "the tool call's observed duration"), .init("bytes", "the observed content's size"),
            ]
        ),
    ]
}
