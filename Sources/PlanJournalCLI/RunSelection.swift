import ArgumentParser
import PlanJournalCore
import PlanJournalStore

/// `RUN` or `--all [--status S] [--since T]`: the runs a command works on.
struct RunSelection: ParsableArguments {
    @Argument(help: "The run id (omit with --all).")
    var run: String?

    @Flag(help: "Every run in the journal (not forks, unless --forks).")
    var all = false

    @Option(help: "With --all: only runs with this status (running, succeeded, failed, partially_succeeded, cancelled).")
    var status: String?

    @Option(help: ArgumentHelp("With --all: only runs started at or after this time (RFC 3339).", valueName: "time"))
    var since: String?

    @Flag(help: "With --all: forks too.")
    var forks = false

    func validate() throws {
        try Self.check(status: status)
        if all && run != nil { throw ValidationError("give a run id or --all, not both") }
        if !all && run == nil { throw ValidationError("give a run id, or --all") }
        if !all && (status != nil || since != nil || forks) { throw ValidationError("--status, --since and --forks go with --all") }
        if since != nil { _ = try cutoff() }
    }

    /// The run ids selected, oldest first for `--all`.
    func runs(in journal: Journal) throws -> [String] {
        guard all else {
            guard let run else { throw ValidationError("give a run id, or --all") }
            _ = try journal.run(run)
            return [run]
        }
        return try journal.runs(RunFilter(status: status, since: try cutoff(), forks: forks ? .included : .excluded))
            .map(\.id).reversed()
    }

    /// Throws when `status` is not a run status: a misspelled `--status` selected nothing, and an
    /// audit gate passed on no runs.
    static func check(status: String?) throws {
        guard let status, status != "running", !RunValidator.runStatuses.contains(status) else { return }
        let known = ["running"] + RunValidator.runStatuses.sorted()
        throw ValidationError("--status \(status) is not a run status: \(known.joined(separator: ", "))")
    }

    private func cutoff() throws -> Timestamp? { try Self.since(since) }

    /// The time a `--since` option gives, if given.
    /// - Throws: a `ValidationError` when it is no RFC 3339 time.
    static func since(_ text: String?) throws -> Timestamp? {
        try text.map { text in
            guard let t = Timestamp(rfc3339: Array(text.utf8)) else {
                throw ValidationError("--since must be an RFC 3339 time, e.g. 2026-11-25T00:00:00Z")
            }
            return t
        }
    }
}
