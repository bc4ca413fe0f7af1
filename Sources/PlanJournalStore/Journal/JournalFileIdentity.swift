import Foundation
import PlanJournalCore

/// The file a writer opened at a path, told apart from whatever the path names later: a journal
/// deleted or replaced while a process writes to it takes its writes to a file no one will open
/// again, so appends after that must fail, not be acknowledged. The writer looks at most every
/// few milliseconds (``JournalWriter/fileCheckInterval``): appends within that time of the
/// deletion are still acknowledged. (Its append log alone deleted is not noticed: its records
/// are committed to the journal all the same, and only a crash before that loses them.)
struct JournalFileIdentity {
    let path: String
    /// The file `path` named when the writer opened it.
    private let opened: FileIdentity

    /// The file at `path` now; `nil` when there is none.
    init?(path: String) {
        guard let opened = FileIdentity(path: path) else { return nil }
        self.path = path
        self.opened = opened
    }

    /// Throws `.io` when `path` no longer names the file it named.
    func check() throws(JournalError) {
        let now = FileIdentity(path: path)
        let missing = now == nil
        guard missing || now != opened else { return }
        throw JournalError(
            .io,
            "the journal file \(path) was \(missing ? "deleted" : "replaced by another file") while planj wrote to it: "
                + "what was appended since is in the removed file, and nothing more is acknowledged",
            context: .init(journalPath: path))
    }
}
