import PlanJournalCore
import PlanJournalRuntime

/// An error as the JSON outputs print it.
struct ErrorJSON: Encodable {
    /// The exit status of the error's code (not encoded).
    private(set) var exitStatus: Int32 = 1

    var code: String
    var message: String
    var journal: String?
    var file: String?
    var line: Int?
    var run: String?
    var seq: Int64?
    var field: String?
    /// The run's head, for a conflict over a seq it holds (`append`): where the agent's next
    /// event goes.
    var head: Int64?

    init(_ e: JournalError) {
        exitStatus = e.code.exitStatus
        code = e.code.name
        message = e.message
        journal = e.context.journalPath
        file = e.context.file
        line = e.context.line
        run = e.context.run
        seq = e.context.seq
        field = e.context.field
    }

    /// An error of planj's own that no journal or runner reports (`interrupted`).
    init(code: String, message: String, exitStatus: Int32) {
        self.code = code
        self.message = message
        self.exitStatus = exitStatus
    }

    /// A runner's or adapter's error: code `runtime.TYPE`.
    init(_ e: RuntimeError) {
        code = "runtime." + e.type
        message = e.message
        exitStatus = e.exitStatus
    }
}

extension RuntimeError {
    /// The exit status planj ends with for this error: 2 for a usage error (a bad spec), 4 for a
    /// run that has already completed (its state conflicts with the request, as for `cancel`), 8
    /// when the OTLP collector could not be reached or refused the export, or the system refused
    /// a process or descriptor (I/O), else 1.
    var exitStatus: Int32 {
        switch type {
        case Types.usage: 2
        case Types.alreadyCompleted: 4
        case Types.otlpExport, Types.resources: 8
        default: 1
        }
    }
}
