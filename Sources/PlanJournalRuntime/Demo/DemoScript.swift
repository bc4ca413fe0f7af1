import PlanJournalCore

/// The scripted world of the offline demo: a research task whose plan has parallel fetches, one
/// source that keeps failing (so the planner revises the plan), and a gated publish step.
enum DemoScript {
    static let goal = "Compare the durability guarantees of SQLite, DuckDB and RocksDB and recommend one for an embedded agent journal"

    static let systemPrompt = """
        You are the planner of a plan-and-execute agent. Write a plan as JSON: {"steps": [{"id", \
        "description", "tool", "args", "depends_on", "expected_output", "requires_approval"}]}. Steps that \
        do not depend on each other run in parallel.
        """

    static func fetch(_ id: String, _ url: String, _ name: String) -> PlanStep {
        PlanStep(
            id: id, description: "Fetch the \(name) documentation on durability and crash recovery", tool: "http.get",
            args: .record(["url": .string(url)]), dependsOn: ["gather"],
            expectedOutput: .string("the text of the \(name) durability documentation"))
    }

    static let firstPlan: [PlanStep] = [
        PlanStep(
            id: "gather", description: "Find the authoritative durability documentation of each engine", tool: "search",
            args: .record(["query": .string("sqlite duckdb rocksdb durability fsync WAL documentation")]),
            expectedOutput: .string("one documentation URL per engine")),
        fetch("fetch_sqlite", "https://sqlite.org/wal.html", "SQLite"),
        fetch("fetch_duckdb", "https://duckdb.org/docs/connect/concurrency", "DuckDB"),
        fetch("fetch_rocksdb", "https://github.com/facebook/rocksdb/wiki/WAL-Performance", "RocksDB"),
        PlanStep(
            id: "compare", description: "Compare write-ahead logging, fsync policy and crash recovery",
            dependsOn: ["fetch_sqlite", "fetch_duckdb", "fetch_rocksdb"],
            expectedOutput: .string("a comparison table with one row per engine")),
        PlanStep(
            id: "publish", description: "Publish the recommendation to the team wiki", tool: "wiki.publish",
            args: .record(["page": .string("storage/embedded-journal")]), dependsOn: ["compare"],
            expectedOutput: .string("the URL of the published page"), requiresApproval: true),
    ]

    /// The revision after `fetch_rocksdb` keeps failing: read the archived copy instead.
    static let revisedPlan: [PlanStep] = {
        var steps = firstPlan.filter { $0.id != "fetch_rocksdb" }
        let archive = fetch(
            "fetch_rocksdb_archive", "https://web.archive.org/web/2026/https://github.com/facebook/rocksdb/wiki/WAL-Performance",
            "RocksDB (archived copy)")
        steps.insert(archive, at: 3)
        if let k = steps.firstIndex(where: { $0.id == "compare" }) {
            steps[k].dependsOn = ["fetch_sqlite", "fetch_duckdb", "fetch_rocksdb_archive"]
        }
        return steps
    }()

    /// How long each step takes, in milliseconds (parallel fetches overlap visibly).
    static func duration(of id: String) -> Int {
        switch id {
        case "gather": 120
        case "fetch_sqlite": 260
        case "fetch_duckdb": 320
        case "fetch_rocksdb": 180
        case "fetch_rocksdb_archive": 240
        case "compare": 200
        default: 90
        }
    }

    /// What each tool returns for a step.
    static func toolOutput(_ tool: String, args: JSONValue) -> ToolOutput {
        switch tool {
        case "search":
            return ToolOutput(
                content: #"{"results":["https://sqlite.org/wal.html","https://duckdb.org/docs/connect/concurrency","https://github.com/facebook/rocksdb/wiki/WAL-Performance"]}"#,
                contentType: "application/json")
        case "http.get":
            let url = args["url"]?.stringValue ?? ""
            return ToolOutput(content: page(for: url), contentType: "text/html")
        case "wiki.publish":
            return ToolOutput(content: #"{"url":"https://wiki.example.com/storage/embedded-journal","revision":42}"#,
                contentType: "application/json")
        default:
            return ToolOutput(ok: false, content: "unknown tool \(tool)")
        }
    }

    static func page(for url: String) -> String {
        let body: String
        if url.contains("sqlite") && !url.contains("rocksdb") {
            body = "WAL mode: commits append to the -wal file; synchronous=FULL syncs the WAL on every commit, NORMAL at checkpoints. A crash never corrupts the database; the last transactions may roll back under NORMAL."
        } else if url.contains("duckdb") {
            body = "DuckDB writes a WAL and checkpoints it into the single database file; one process may write at a time. Optimised for analytics rather than many small appends."
        } else {
            body = "RocksDB's WAL can be synced per write (sync=true) or batched; manual_wal_flush trades durability for throughput. Recovery replays the WAL into memtables."
        }
        return "<html><body><h1>\(url)</h1><p>\(body)</p></body></html>"
    }

    static func answer(for id: String, inputs: [String: String]) -> String {
        switch id {
        case "gather": "Found durability documentation for SQLite (wal.html), DuckDB (concurrency) and RocksDB (WAL-Performance)."
        case "compare":
            """
            | engine | WAL | fsync policy | fits an append-only journal |
            |---|---|---|---|
            | SQLite | yes | per commit (FULL) or checkpoint (NORMAL) | yes: one file, readers never block |
            | DuckDB | yes | at checkpoint | no: built for analytics, one writer process |
            | RocksDB | yes | per write or batched | partly: needs a server-side layout of its own |
            Recommendation: SQLite in WAL mode.
            """
        case "publish": "Published the recommendation: https://wiki.example.com/storage/embedded-journal (revision 42)."
        default: "Extracted the durability section (\(inputs.count) inputs): WAL, fsync policy and recovery."
        }
    }
}
