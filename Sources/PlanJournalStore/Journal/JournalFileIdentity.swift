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
    private let device: UInt64
    private let inode: UInt64

    /// The file at `path` now; `nil` when there is none.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.path = path
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// Throws `.io` when `path` no longer names the file it named.
    func check() throws(JournalError) {
        var info = stat()
        let missing = stat(path, &info) != 0
        guard missing || UInt64(info.st_dev) != device || UInt64(info.st_ino) != inode else { return }
        throw JournalError(
            .io,
            "the journal file \(path) was \(missing ? "deleted" : "replaced by another file") while planj wrote to it: "
                + "what was appended since is in the removed file, and nothing more is acknowledged",
            context: .init(journalPath: path))
    }
}
