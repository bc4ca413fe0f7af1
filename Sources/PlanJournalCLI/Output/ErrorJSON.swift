import PlanJournalCore
import PlanJournalRuntime

/// An error as the JSON outputs print it.
struct ErrorJSON: Encodable {
    var code: String
    var message: String
    var journal: String?
    var file: String?
    var line: Int?
    var run: String?
    var seq: Int64?
    var field: String?

    init(_ e: JournalError) {
        code = e.code.name
        message = e.message
        journal = e.context.journalPath
        file = e.context.file
        line = e.context.line
        run = e.context.run
        seq = e.context.seq
        field = e.context.field
    }

    /// A runner's or adapter's error: code `runtime.TYPE`.
    init(_ e: RuntimeError) {
        code = "runtime." + e.type
        message = e.message
    }
}
