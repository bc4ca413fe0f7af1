import ArgumentParser

/// The `planj` command: record, rebuild, audit and replay the runs of plan-and-execute agents.
public struct Planj: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "planj",
        abstract: "Record, rebuild, audit and replay the runs of plan-and-execute AI agents.",
        discussion: HelpText.reflow("""
            A journal is one SQLite file holding every event of every run (goal, plan, review, step,
            tool and model call, observation, replan, outcome), compressed with LZ4 and hash-chained.
            It is journals/planjournal.sqlite unless --journal or $PLANJOURNAL_PATH names another,
            and is created on first use. A PostgreSQL database holds a journal too:
            postgres://user[:password]@host[:port]/database[?sslmode=MODE&sslrootcert=CA.pem], with
            sslmode disable, prefer (the default: TLS when the server has it, unverified), require
            (TLS, unverified), verify-ca (TLS, a certificate signed by a trusted CA) or verify-full
            (and issued for the host); the CAs are sslrootcert's (a PEM file), else the system's.
            $PGSSLMODE, $PGSSLROOTCERT, $PGUSER and $PGPASSWORD are read as libpq reads them.

            Getting started:
              planj demo                       record a run of the offline demo agent
              planj ingest run.jsonl           add events any agent wrote (JSON Lines)
              planj runs                       list the runs
              planj show RUN                   the plan and each step's status
              planj show RUN --at 12           ... as it was after event 12
              planj events RUN --kind 'step.*' | jq .
              planj export RUN --format pjl -o run.pjl       a portable file (lz4 -dc)
              planj export RUN --format html -o report.html  a report for a browser
              planj export RUN --otlp-endpoint http://localhost:4318
                                               a trace to an OpenTelemetry collector
              planj sql "SELECT * FROM read_steps WHERE status = 'failed'"
                                               runs, steps and calls in SQL
              planj audit --all                integrity, plan and behaviour findings
              planj verify                     recompute every hash chain
              planj copy J1.sqlite J2.sqlite   copy runs (or to a .pjl), hashes intact
              planj keygen; planj seal RUN --key planj-seal.key   sign a run

            A run id that starts with - goes after --, as in: planj show -- -r1.

            Exit status: 0 success, 1 something was rejected or differs, 2 usage, 3 invalid input,
            4 conflict (append reports its own and ends with 1), 5 run (or journal) not found, 6 corrupt
            journal, 7 journal too new, 8 I/O error.
            """),
        version: "0.2.1",
        subcommands: [
            Ingest.self, Append.self, Import.self, Export.self, Runs.self, Show.self, Events.self, SQL.self, Verify.self, Stats.self,
            Fork.self, Run.self, Demo.self, Resume.self, Approve.self, Cancel.self, Watch.self, Replay.self, Diff.self, Audit.self,
            Keygen.self, SealRun.self, Copy.self, Migrate.self,
        ]
    )

    /// Accepted before the subcommand too (`planj --journal J runs`); each subcommand reads its own copy.
    @OptionGroup var global: GlobalOptions

    public init() {}
}
