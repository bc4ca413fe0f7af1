import PlanJournalStore

/// What ``JournalConformance`` needs from a storage backend (SQLite today, PostgreSQL next):
/// fresh journals, a second handle on the same storage, and a way to corrupt one stored event.
///
/// A fixture owns what it creates and removes it when released.
public protocol JournalBackendFixture: Sendable {
    /// The backend's name, for messages (`sqlite`, `postgres`).
    var backendName: String { get }

    /// A new, empty journal, independent of every other one this fixture made.
    func makeJournal(configuration: JournalConfiguration) throws -> Journal

    /// Another `Journal` on the same storage as `journal`, as another process would open it.
    func reopen(_ journal: Journal, configuration: JournalConfiguration) throws -> Journal

    /// Changes the stored bytes of event `seq` of `run` (one of the run's own events, not one
    /// read through a parent) the way an attacker who can write the storage but not recompute
    /// the hash chain would: the event still reads as text, its stored checksums are made to
    /// match, and only the hash chain (and seals) can tell.
    func tamper(_ journal: Journal, run: String, seq: Int64) throws
}

extension JournalBackendFixture {
    /// A new, empty journal with the default configuration.
    public func makeJournal() throws -> Journal { try makeJournal(configuration: JournalConfiguration()) }

    /// Another handle on `journal`'s storage with the default configuration.
    public func reopen(_ journal: Journal) throws -> Journal {
        try reopen(journal, configuration: JournalConfiguration())
    }
}
