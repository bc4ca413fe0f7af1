import Foundation
import PlanJournalCore

/// The append log beside a SQLite journal (`<journal>-pjlog`): acknowledged appends of a write
/// window that is not committed yet.
///
/// A writer that is alone on the journal keeps its write transaction open over many appends (a
/// *window*) and commits it every couple of milliseconds. Each append in the window is written
/// here (one copy of its lines) before it is acknowledged, so a crash of the process loses
/// nothing acknowledged, which is the promise of `synchronous=NORMAL`; with `synchronous=FULL`
/// the log is also synced to disk (``LogSyncer``) before the append is acknowledged, and the
/// window commits with a sync of its own, so a power loss loses nothing acknowledged either.
/// The next writer to open the journal replays the log before anything else.
///
/// Locking (`flock` on this file, one open file description per writer): every writer holds a
/// shared lock while it is open. A window needs the exclusive lock, so it opens only while no
/// other writer (of this or another process) has the journal open, and other writers never wait
/// for a window behind SQLite's busy handler for longer than one window. The log is written only
/// under the exclusive lock and is empty whenever a writer gives the exclusive lock back (after
/// the window's commit); so a non-empty log without an exclusive holder was left by a writer that
/// died, and whoever takes the exclusive lock next replays it (``JournalWriter/recoverAppendLog()``).
///
/// Format: a window's first line `@=<journal id>` names the journal it belongs to (the random
/// `journal_id` of its `meta` table): a log left beside a journal file that was since deleted and
/// made again is not replayed into the new one. Then per append a header line
/// `@<count> <bytes> <xxh64>` and its `count` canonical event lines (`bytes` bytes, each line
/// ending in a newline, their checksum in the header). (Logs of older versions have no `@=` line
/// and no checksum, and are replayed.) A record cut short by a crash was not
/// acknowledged and is dropped on replay. The file is reused rather than truncated after each
/// window (a truncate costs more than the window's writes): emptying it overwrites its first
/// byte with `#`, and the next window writes from the start again. Records of older windows may
/// follow the current ones; they were committed, so a replay skips them as it skips any event
/// the journal already holds. ``AppendLogFormat`` makes and parses these bytes.
///
/// Writes go through a shared memory mapping of the file's first ``mappedBytes`` (a `memcpy`
/// instead of a `pwrite` per append: the kernel's page cache holds the bytes either way, so a
/// killed process loses nothing written). Within the mapping a batch of records is copied first
/// and its leading `@` last, and emptying the log zeroes what the window wrote, so a process
/// killed in the middle of a copy leaves no byte that starts a record. Beyond the mapping (a very
/// large window) records are written with `pwrite`. ``SharedMapping`` holds the mapping.
///
/// The last writer to close the journal removes the (empty) log, as SQLite removes its WAL: it
/// can take the exclusive lock only when no other writer has the journal open. A writer that
/// opened the file just before it was removed finds that out when it gets its lock (the file at
/// the path is another one, or none) and opens the path again; it checks the same whenever it
/// takes the exclusive lock, so records never go to a file that no longer has the log's name.
///
/// Not `Sendable`: owned by one ``JournalWriter``.
final class AppendLog {
    let path: String
    private var fd: Int32
    /// Whether the file could not be opened again after it was removed (`fd` is -1): no window
    /// opens then, and appends commit one by one.
    private var lost = false
    /// Whether the exclusive lock is held (otherwise the shared one is).
    private(set) var exclusive = false
    /// Bytes in the log.
    private(set) var size: Int = 0
    private var pending: [UInt8] = []
    /// The file's first ``mappedBytes``, mapped shared (`nil` if it could not be mapped).
    private var map: SharedMapping?
    /// How many bytes of the file are mapped (4 MiB: a 2 ms window at 100,000 events/s of 1.2 KB
    /// writes about 240 KB).
    static let mappedBytes = 4 << 20
    /// Bytes at the log's start written since it was last zeroed (within the mapping).
    private var dirty = 0
    /// Syncs the open file for `.full` durability (`nil` if its descriptor could not be duplicated).
    /// Settable so that tests can make syncs fail.
    var syncer: LogSyncer?

    /// Opens (creating) the log of the journal at `journalPath`, unlocked; `nil` when it cannot be
    /// opened (a read-only directory: that writer commits every append).
    init?(journalPath: String) {
        path = Self.path(journalPath: journalPath)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { return nil }
        syncer = LogSyncer(duplicating: fd, path: path)
    }

    deinit {
        close()
    }

    /// Closes the file; alone on the journal, with every record committed, the log goes, as the
    /// WAL does. The log is ``lost`` afterwards (its writer commits appends one by one).
    func close() {
        guard fd >= 0 else { return }
        unmap()
        if !lost, exclusive || flock(fd, LOCK_EX | LOCK_NB) == 0, isCurrent(), !hasRecords() { unlink(path) }
        Foundation.close(fd)
        fd = -1
        lost = true
        exclusive = false
        syncer = nil
    }

    /// Whether the open file is still the one at ``path`` (a closing writer may have removed it).
    private func isCurrent() -> Bool {
        guard let opened = FileIdentity(descriptor: fd), let named = FileIdentity(path: path) else { return false }
        return opened == named
    }

    /// Opens the file at ``path`` again (creating it), unlocked, when the one open was removed.
    /// - Returns: `false` when it cannot be opened (the log is then ``lost``).
    private func reopen() -> Bool {
        unmap()
        Foundation.close(fd)
        exclusive = false
        size = 0
        dirty = 0
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        lost = fd < 0
        syncer = lost ? nil : LogSyncer(duplicating: fd, path: path)
        return !lost
    }

    /// Takes the shared lock on the file at ``path``, opening it again if it was removed.
    private func lockShared() {
        while true {
            lock(LOCK_SH)
            if lost || isCurrent() || !reopen() { return }
        }
    }

    /// Makes sure the file covers the mapping (another writer may have truncated it) and maps it;
    /// with the exclusive lock held.
    private func prepareMapping() {
        if map == nil || currentSize() < Self.mappedBytes {
            // Blocks allocated, not only a length: on a full disk, writing through the mapping
            // into a hole of a sparse file faults with SIGBUS, where this fails cleanly (and the
            // log is then written with pwrite, whose errors are reported).
            guard SharedMapping.allocate(fd: fd, byteCount: Self.mappedBytes) else { return unmap() }
            // Whatever the file held beyond the old end reads as zeroes now.
        }
        if map == nil {
            map = SharedMapping(fd: fd, byteCount: Self.mappedBytes)
        }
    }

    /// Drops the mapping (writes then go through `pwrite`).
    private func unmap() {
        map = nil
    }

    /// Takes the shared lock for the writer's lifetime; when the log holds records (left by a
    /// writer that died), first takes the exclusive lock and calls `recover` with it held.
    /// - Parameter limit: how long to wait for another writer's window to end (one is a few
    ///   milliseconds long, but its process may be stopped, with Ctrl-Z or SIGSTOP, in one).
    /// - Throws: `.io` when the window outlasts `limit`.
    func attach(waitingUpTo limit: Duration, recover: () throws(JournalError) -> Void) throws(JournalError) {
        let deadline = ContinuousClock.now + limit
        while true {
            if tryExclusive(thenShared: false) {
                if size > 0 { try recover() }
                makeShared()
                return
            }
            // Another writer is open (and its log empty), or it died in a window a moment ago.
            while !lost && flock(fd, LOCK_SH | LOCK_NB) != 0 {
                guard ContinuousClock.now < deadline else {
                    let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
                    throw JournalError(
                        .io,
                        "another planj process has held the journal's append log \(path) for more than "
                            + String(format: "%g s", seconds)
                            + " in a write window (is it stopped, with Ctrl-Z or SIGSTOP?), or could not add the appends it holds "
                            + "to the journal (a full disk?); try again once it goes on or ends")
                }
                usleep(1_000)
            }
            if !lost && !isCurrent() {
                _ = flock(fd, LOCK_UN)
                if reopen() { continue }
            }
            if lost || !hasRecords() { return }
            _ = flock(fd, LOCK_UN)
            usleep(useconds_t(200 + Int.random(in: 0..<800)))
        }
    }

    /// Takes the exclusive lock without waiting: only when no other writer has the journal open.
    /// - Parameter thenShared: on failure, take the shared lock back (a failed conversion drops it).
    /// - Returns: whether it is held now.
    func tryExclusive(thenShared: Bool = true) -> Bool {
        if exclusive { return true }
        guard !lost, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            if thenShared { lockShared() }
            return false
        }
        guard isCurrent() else {
            // Removed by the last writer closing, between this file's opening and its lock.
            _ = flock(fd, LOCK_UN)
            if reopen() { return tryExclusive(thenShared: thenShared) }
            return false
        }
        exclusive = true
        size = 0
        if hasRecords() {
            // Left by a writer that died: new records go right after its complete ones, and the
            // emptying after the replay zeroes whatever it left behind.
            size = parse().end
            dirty = Self.mappedBytes
        }
        prepareMapping()
        return true
    }

    /// Gives the exclusive lock back (the log must be empty, or its writer gone), keeping a shared one.
    func makeShared() {
        guard exclusive else { return }
        lock(LOCK_SH)
        exclusive = false
    }

    private func lock(_ operation: Int32) {
        while flock(fd, operation) != 0 && errno == EINTR {}
    }

    /// The log of the journal file at `journalPath`.
    static func path(journalPath: String) -> String { journalPath + "-pjlog" }

    /// Whether the log at `path` (opened for reading only) starts with a record.
    static func hasRecords(at path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return AppendLogFormat.startsARecord(try? handle.read(upToCount: 1))
    }

    /// Whether the open log starts with a record.
    private func hasRecords() -> Bool {
        var first: UInt8 = 0
        return pread(fd, &first, 1, 0) == 1 && AppendLogFormat.startsARecord([first])
    }

    /// The open file's size (0 when it cannot be read).
    private func currentSize() -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Starts an empty log's records with the line naming the journal `id` it belongs to (written
    /// with the first ``flush()``).
    func stamp(_ id: String) {
        guard size == 0 && pending.isEmpty else { return }
        pending.append(contentsOf: AppendLogFormat.stamp(id))
    }

    /// Adds one append's record (``AppendLogFormat/record(of:)``) to the next ``flush()``.
    func add(_ record: [UInt8]) {
        pending.append(contentsOf: record)
    }

    /// Writes what ``add(_:)`` collected at the log's end (a copy into the mapping, else one `pwrite`).
    /// - Throws: `.io` when the write fails (the caller must then commit before acknowledging).
    func flush() throws(JournalError) {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        if let map, size + pending.count <= Self.mappedBytes {
            // The batch's first byte last: until it is there, nothing at `size` starts a record.
            map.publish(pending, at: size)
            size += pending.count
            dirty = max(dirty, size)
            syncer?.wrote()
            return
        }
        do {
            try FileDescriptor(fd).write(
                pending, at: size, failure: "cannot write the append log", context: .init(file: path))
        } catch {
            // What part of the batch got written (a full disk cuts a write short) must not read as
            // a record: a zero where it starts ends the log's records (these were never acknowledged).
            var zero: UInt8 = 0
            _ = pwrite(fd, &zero, 1, off_t(size))
            throw error
        }
        size += pending.count
        dirty = max(dirty, size)
        syncer?.wrote()
    }

    /// Drops collected records that were not flushed (their appends failed to commit).
    func discardPending() { pending.removeAll(keepingCapacity: true) }

    /// Empties the log (its records are committed): marks its start, and truncates it only when
    /// it has grown large.
    func empty() {
        guard size > 0 else { return }
        if let map {
            // The first byte first: the log is empty from here on, whatever the rest holds.
            map.overwriteStart(with: AppendLogFormat.emptiedMark, zeroingUpTo: min(dirty, Self.mappedBytes))
            dirty = 0
            if size > Self.mappedBytes { _ = ftruncate(fd, off_t(Self.mappedBytes)) }
            size = 0
            return
        }
        var mark = AppendLogFormat.emptiedMark
        let marked = size > 8 << 20 ? ftruncate(fd, 0) == 0 : pwrite(fd, &mark, 1, 0) == 1
        if marked { size = 0 }
    }

    /// The journal the log belongs to (`nil` for a log without its `@=` line), its complete
    /// records, oldest first (each append's event lines, without newlines), and what follows them
    /// (a batch's records show only once all of them are written, so a writer that died mid-batch
    /// leaves none there; beyond the mapping, a record a crash cut short is ``AppendLogFormat/Tail/cutOff``).
    func records() -> (journal: String?, records: [AppendLogFormat.Record], tail: AppendLogFormat.Tail) {
        guard size > 0 else { return (nil, [], .none) }
        let parsed = parse()
        return (parsed.journal, parsed.records, parsed.tail)
    }

    /// What follows the log's name in the name of a copy ``keepCopy()`` kept.
    private static let keptSuffix = ".unreplayed-"

    /// The copies ``keepCopy()`` kept beside the log at `path`, oldest first.
    static func keptCopies(of path: String) -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + keptSuffix
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted().map { directory.isEmpty ? $0 : directory + "/" + $0 }
    }

    /// Writes the log's bytes (less the zeros after them) to a new file beside it, named after
    /// the time and this process (`-pjlog.unreplayed-TIME-PID`): kept for the user when some of
    /// its records could not be replayed, before the log is emptied. The copy's path, or `nil`
    /// when it cannot be written or the log holds nothing but zeroes.
    func keepCopy() -> String? {
        var (data, read) = FileDescriptor(fd).readAvailable(count: currentSize(), at: 0)
        while read > 0 && data[read - 1] == 0 { read -= 1 }
        guard read > 0 else { return nil }  // nothing but zeroes: nothing to keep
        data.removeSubrange(read...)
        // A name no other copy has (two replays within a second must not overwrite each other).
        let stem = path + Self.keptSuffix + String(Int64(Date().timeIntervalSince1970)) + "-" + String(getpid())
        for k in 0..<100 {
            let copy = k == 0 ? stem : stem + "-\(k)"
            let fd = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 {
                if errno == EEXIST { continue }
                return nil
            }
            defer { _ = Foundation.close(fd) }
            return (try? FileDescriptor(fd).write(data, at: 0, failure: "cannot keep the append log")) != nil ? copy : nil
        }
        return nil
    }

    /// Reads the log's journal id, its complete records, where they end and what follows.
    private func parse() -> (journal: String?, records: [AppendLogFormat.Record], end: Int, tail: AppendLogFormat.Tail) {
        let (data, read) = FileDescriptor(fd).readAvailable(count: currentSize(), at: 0)
        return AppendLogFormat.parse(data, count: read)
    }
}
