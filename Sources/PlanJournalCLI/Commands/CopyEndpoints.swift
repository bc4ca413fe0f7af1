import Foundation
import PlanJournalCore
import PlanJournalStore

/// The SOURCE and DEST of `planj copy`: journals or `.pjl` files, checked before anything is opened.
struct CopyEndpoints {
    var source: String
    var destination: String

    /// The opened destination, and what must happen once the copy is done.
    struct OpenedDestination {
        var destination: any CopyDestination
        var finish: () throws(JournalError) -> Void
    }

    /// Checks the pair: SOURCE exists, DEST is not SOURCE, an existing `.pjl` DEST needs `force`.
    init(source: String, destination: String, force: Bool) throws(JournalError) {
        self.source = source
        self.destination = destination
        guard Journal.isDatabaseURL(source) || FileManager.default.fileExists(atPath: source) else {
            throw JournalError(.usage, "the copy's source does not exist", context: .init(file: source))
        }
        if Self.identity(source) == Self.identity(destination) {
            throw JournalError(
                .usage, "the source and the destination are the same file: copy into another journal or a .pjl file",
                context: .init(file: destination))
        }
        if Self.isPortable(destination) && FileManager.default.fileExists(atPath: destination) && !force {
            throw JournalError(
                .usage, "the destination file exists: pass --force to replace it", context: .init(file: destination))
        }
    }

    /// Whether `path` names a `.pjl` file (else a journal).
    static func isPortable(_ path: String) -> Bool { path.lowercased().hasSuffix(".pjl") }

    /// The file's resolved absolute path (symbolic links followed), or a database URL as it is,
    /// for comparing two names.
    private static func identity(_ path: String) -> String {
        if Journal.isDatabaseURL(path) { return path }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        return url.resolvingSymlinksInPath().path
    }

    /// Opens the source and the destination (creating a journal destination if needed).
    func open() throws(JournalError) -> (any CopySource, OpenedDestination) {
        let from: any CopySource =
            Self.isPortable(source) ? try PortableSource(file: source) : try Journal(path: source)
        if Self.isPortable(destination) {
            let file = try PortableDestination(path: destination)
            return (from, OpenedDestination(destination: file, finish: { () throws(JournalError) in try file.finish() }))
        }
        let dir = Journal.isDatabaseURL(destination) ? "" : (destination as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw JournalError(.io, "cannot create the destination's folder \(dir)", context: .init(journalPath: destination))
            }
        }
        return (from, OpenedDestination(destination: try Journal(path: destination), finish: {}))
    }
}
