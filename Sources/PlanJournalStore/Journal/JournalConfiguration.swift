/// How a ``Journal`` stores and syncs events. Every setting has a documented default.
public struct JournalConfiguration: Sendable {
    /// When a commit is durable.
    public enum Durability: Sendable {
        /// `synchronous=NORMAL` in WAL mode: a commit survives a crash of the process; a power loss may
        /// drop the last commits, never corrupt the journal. The default.
        case normal
        /// `synchronous=FULL`: every commit is on disk before append returns.
        case full
    }

    /// Default `.normal`.
    public var durability: Durability
    /// Events are written in chunks of about this many bytes of JSON Lines per run (default 128 KiB).
    public var chunkBytes: Int
    /// LZ4 level for chunks: 0 is LZ4 fast, 1-12 LZ4 HC (default 0: ingest speed first;
    /// `planj compact`-style recompression is the place for HC).
    public var compressionLevel: Int32
    /// A plan-state snapshot is stored every this many events of a run (default 1000).
    public var snapshotInterval: Int64
    /// How long a writer waits for another process's write lock, in milliseconds (default 30 s).
    public var busyTimeoutMilliseconds: Int32
    /// The most appends one group commit takes into a single transaction (default 256).
    public var maxGroupCommit: Int

    /// Creates a configuration; every parameter has the documented default.
    public init(
        durability: Durability = .normal, chunkBytes: Int = 128 * 1024, compressionLevel: Int32 = 0,
        snapshotInterval: Int64 = 1000, busyTimeoutMilliseconds: Int32 = 30_000, maxGroupCommit: Int = 256
    ) {
        self.durability = durability
        self.chunkBytes = chunkBytes
        self.compressionLevel = compressionLevel
        self.snapshotInterval = snapshotInterval
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.maxGroupCommit = maxGroupCommit
    }
}
