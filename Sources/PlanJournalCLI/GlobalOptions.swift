import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The journal: a SQLite file or postgres://user@host:port/database[?sslmode=MODE&sslrootcert=PATH] (see planj --help; default: $PLANJOURNAL_PATH, else journals/planjournal.sqlite).",
            valueName: "path"))
    var journal: String?

    @Flag(name: .long, help: "Print errors with their causes.")
    var verbose = false

    func validate() throws {
        if journal?.isEmpty == true { throw ValidationError("--journal needs a path (a SQLite file or a postgres:// URL)") }
    }

    /// The journal path after the default rules.
    var journalPath: String {
        if let journal { return journal }
        if let env = ProcessInfo.processInfo.environment["PLANJOURNAL_PATH"], !env.isEmpty { return env }
        return "journals/planjournal.sqlite"
    }

    /// Runs `body` with the journal open, then closes it: what the command appended is in the
    /// database file when it ends (not left in the append log for the next writer), and a
    /// failure to get it there is the command's. `creating` opens a journal that does not exist
    /// yet (commands that record runs); otherwise it must exist (``openExisting(configuration:)``).
    func withJournal<T>(
        creating: Bool = false, configuration: JournalConfiguration = JournalConfiguration(),
        _ body: (Journal) async throws -> T
    ) async throws -> T {
        let journal = try creating ? open(configuration: configuration) : openExisting(configuration: configuration)
        let result: T
        do {
            result = try await body(journal)
        } catch {
            try? journal.close()
            throw error
        }
        try journal.close()
        return result
    }

    /// Opens the journal, which must exist: for commands that only read, or act on runs already
    /// recorded (a mistyped path would otherwise be a new, empty journal that verifies).
    /// - Throws: `journal.not_found` when there is no file at the path (a database URL is left
    ///   to the server).
    func openExisting(configuration: JournalConfiguration = JournalConfiguration()) throws(JournalError) -> Journal {
        let path = journalPath
        // A symbolic link to nothing is not "no journal": opening it says what is wrong with it.
        let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
        if !Journal.isDatabaseURL(path) && !FileManager.default.fileExists(atPath: path) && !isLink {
            throw JournalError(
                .journalNotFound,
                "no journal here: commands that record runs create it (ingest, import, run, demo, append); check the path, --journal or $PLANJOURNAL_PATH",
                context: .init(journalPath: path))
        }
        return try open(configuration: configuration)
    }

    /// Opens (creating if needed) the journal.
    func open(configuration: JournalConfiguration = JournalConfiguration()) throws(JournalError) -> Journal {
        let path = journalPath
        let dir = Journal.isDatabaseURL(path) ? "" : (path as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw JournalError(.io, "cannot create the journal's folder \(dir)", context: .init(journalPath: path))
            }
        }
        let journal = try Journal(path: path, configuration: configuration)
        if let warning = journal.unreplayedAppends { Output.error("planj: warning: \(Journal.displayName(path)): \(warning)") }
        if let old = journal.upgradedFrom {
            let recomputed = try journal.refreshCatalog()
            let refreshed = recomputed.isEmpty ? "" : "; the catalog of \(Output.count(recomputed.count, "run")) was recomputed from the events"
            Output.error(
                "planj: note: \(Journal.displayName(path)): upgraded from format version \(old) to \(Journal.supportedFormatVersion)"
                    + " (planj builds older than this one can no longer open it)\(refreshed)")
        }
        return journal
    }
}

/// Storage tuning for commands that write (defaults are the measured best; see the README).
struct StorageOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Target bytes of JSON Lines per stored chunk.", visibility: .hidden))
    var chunkBytes: Int?

    @Option(help: ArgumentHelp("LZ4 level for chunks: 0 fast, 1-12 HC.", visibility: .hidden))
    var compressionLevel: Int32?

    var configuration: JournalConfiguration {
        var c = JournalConfiguration()
        if let chunkBytes { c.chunkBytes = chunkBytes }
        if let compressionLevel { c.compressionLevel = compressionLevel }
        return c
    }
}
