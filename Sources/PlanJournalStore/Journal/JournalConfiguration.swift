/// How a ``Journal`` stores and syncs events. Every setting has a documented default.
public struct JournalConfiguration: Sendable {
    /// When a commit is durable.
    public enum Durability: Sendable {
        /// `synchronous=NORMAL` in WAL mode: a commit survives a crash of the process; a power loss may
        /// drop the last commits, never corrupt the journal. The default. (PostgreSQL:
        /// `synchronous_commit=off`, the same promise for a crash of the server.)
        case normal
        /// `synchronous=FULL`: every append is on disk before it returns, committed or (in a write
        /// window) in the append log, synced with `fdatasync`; a power loss loses nothing
        /// acknowledged. (PostgreSQL: `synchronous_commit=on`.)
        case full
    }

    /// Default `.normal`.
    public var durability: Durability
    /// Events are written in chunks of about this many bytes of JSON Lines per run (default 128 KiB).
    public var chunkBytes: Int
    /// LZ4 level for chunks: 0 is LZ4 fast, 1-12 LZ4 HC. Default 2: with the shared dictionary it
    /// brings the journal within 1.1x of `lz4 -9` over the whole JSON Lines, at about half the
    /// speed of LZ4 fast (which stays at 1.34x); see the README's performance section.
    public var compressionLevel: Int32
    /// A plan-state snapshot is stored every this many events of a run (default 250: `state(at:)`
    /// folds at most 249 events; 1000 measured 2.2x slower at +7% size on 100k-event runs). A run
    /// whose state grows large (thousands of plan steps) gets them further apart, each at most
    /// about as large as the events since the one before. 0 or less stores none.
    public var snapshotInterval: Int64
    /// How long a writer waits for another process's write lock, in milliseconds (default 30 s).
    public var busyTimeoutMilliseconds: Int32
    /// The most appends one group commit takes into a single transaction (default 256).
    public var maxGroupCommit: Int
    /// Bytes of events sampled to train the journal's shared compression dictionary (default
    /// 512 KiB, the best of 256 KiB-4 MiB measured on generated agent traces; 0 disables them). Chunks written before it exists are compressed without one.
    public var dictionaryTrainingBytes: Int
    /// How long a SQLite writer keeps one write transaction open over successive appends, in
    /// microseconds (default 2000; 0 commits every append or group).
    ///
    /// Each append in the window is written to the journal's append log (`<journal>-pjlog`, one
    /// `write`) before it returns, so a crash of the process loses nothing acknowledged (with
    /// `.full` durability the log is also synced to disk first, so a power loss loses nothing
    /// acknowledged either; the syncs of successive groups overlap the writer's work); the window
    /// commits when it is this old (up to four times as old while a full chunk of it is still
    /// being compressed, so the commit need not wait for the compressor), when the journal is
    /// read, or when the `Journal` is released.
    /// Other processes see the appends once it commits. PostgreSQL commits before an append returns.
    public var commitWindowMicroseconds: Int

    /// Creates a configuration; every parameter has the documented default.
    public init(
        durability: Durability = .normal, chunkBytes: Int = 128 * 1024, compressionLevel: Int32 = 2,
        snapshotInterval: Int64 = 250, busyTimeoutMilliseconds: Int32 = 30_000, maxGroupCommit: Int = 256,
        dictionaryTrainingBytes: Int = 512 << 10, commitWindowMicroseconds: Int = 2000
    ) {
        self.commitWindowMicroseconds = commitWindowMicroseconds
        self.durability = durability
        self.chunkBytes = chunkBytes
        self.compressionLevel = compressionLevel
        self.snapshotInterval = snapshotInterval
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.maxGroupCommit = maxGroupCommit
        self.dictionaryTrainingBytes = dictionaryTrainingBytes
    }
}
