/// What `planj export --json` prints: each run exported, where it went, and what redaction
/// changed (snake_case keys; a field that does not apply is left out).
struct ExportSummary: Encodable {
    struct Entry: Encodable {
        var run: String
        /// The file the run went to (`nil` when it was only sent to a collector).
        var file: String?
        /// Bytes of the run in that file.
        var bytes: Int?
        /// Spans of its trace sent to the collector, and those it rejected (with `--otlp-endpoint`).
        var spansSent: Int?
        var spansRejected: Int?
        /// Why the run could not be exported (`export --all` goes on with the others).
        var error: ErrorJSON?
    }

    /// The runs that could not be exported.
    var failed: [Entry] { runs.filter { $0.error != nil } }

    var format: String
    var runs: [Entry] = []
    /// Values redaction replaced, and events it changed (0 with `--no-redact`).
    var redactedValues = 0
    var redactedEvents = 0
}
