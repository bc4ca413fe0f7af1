import Foundation
import PlanJournalCore

/// A run claimed by one driver (`planj run`, `resume`, `replay`): while it is held, no other
/// process can claim the run, so two runners never execute its steps side by side (their tools'
/// side effects twice). The claim ends with the claim's release or with its process, however it
/// ends (the lock is the kernel's or the database server's).
///
/// In a SQLite journal it is an open-file-description lock on one byte of the database file, far
/// beyond the bytes SQLite locks; in PostgreSQL, a session advisory lock (in the two-key space,
/// apart from the transaction locks writes take) on a connection of its own.
///
/// `@unchecked Sendable`: its descriptor and connection are used only when it is made and ended.
public final class RunClaim: @unchecked Sendable {
    /// The descriptor holding the lock in a SQLite journal (-1 in PostgreSQL).
    private let fd: Int32
    /// The session holding the lock in PostgreSQL (the lock ends with it), used with `lock` held.
    private var session: PGConnection?
    private let lock = NSLock()
    /// What ``confirm()`` needs to claim the run again.
    private let run: String
    private let path: String
    private let configuration: JournalConfiguration

    private init(fd: Int32 = -1, session: PGConnection? = nil, run: String, path: String, configuration: JournalConfiguration) {
        self.fd = fd
        self.session = session
        self.run = run
        self.path = path
        self.configuration = configuration
    }

    /// Makes sure the claim still holds, as a driver should before it goes on. A PostgreSQL
    /// session can end under it (a restarted server, `idle_session_timeout`, a terminated
    /// backend), and its lock with it: the run is then claimed again on a new session.
    /// - Throws: `.conflict` when another process claimed the run meanwhile; `.io` when the
    ///   database cannot be reached.
    public func confirm() throws(JournalError) {
        guard fd < 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        // Taking the lock again is a no-op for the session that holds it (the count goes up); a
        // session that reconnected under us takes it anew when it is free.
        if let held = try? session?.query(Self.tryLock(run), []) {
            guard case .int(1)? = held.first?.first else { throw Self.taken(run, path) }
            return
        }
        session = nil
        session = try Self.claim(run, journal: path, configuration: configuration).session
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Linux's `F_OFD_SETLK` (the Glibc module does not export it): a lock of the open file
    /// description, which neither another descriptor's close nor SQLite's own locks release.
    private static let setOFDLock: Int32 = 37

    /// FNV-1a of the run id's bytes.
    private static func hash(_ run: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in run.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    private static func taken(_ run: String, _ path: String) -> JournalError {
        JournalError(
            .conflict, "another process is driving this run (planj run, resume or replay): wait for it to end, or stop it",
            context: .init(journalPath: Journal.displayName(path), run: run))
    }

    /// The statement that takes the run's session lock, in the two-key space (apart from the
    /// one-key locks of write transactions), keyed by all 64 bits of the id's hash: with 32,
    /// unrelated runs of a journal of some 77,000 would even odds block each other.
    private static func tryLock(_ run: String) -> String {
        let h = hash(run)
        return "SELECT pg_try_advisory_lock(\(Int32(truncatingIfNeeded: h >> 32)), \(Int32(truncatingIfNeeded: h)))"
    }

    /// Claims `run` of the journal at `path`.
    /// - Throws: `.conflict` when another process holds the claim; `.io` when the lock cannot be
    ///   taken.
    static func claim(_ run: String, journal path: String, configuration: JournalConfiguration) throws(JournalError) -> RunClaim {
        let taken = Self.taken(run, path)
        if JournalBackend.isPostgres(path) {
            // (The journal's own connection reached the server before this one.)
            let connection = try PGConnection(
                url: path, lockTimeoutMilliseconds: configuration.busyTimeoutMilliseconds, durability: configuration.durability,
                waitingWhenRefused: true)
            let rows = try connection.query(tryLock(run), [])
            guard case .int(1)? = rows.first?.first else { throw taken }
            return RunClaim(session: connection, run: run, path: path, configuration: configuration)
        }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw JournalError(.io, "cannot open the journal to claim the run (\(String(cString: strerror(errno))))", context: .init(journalPath: path, run: run))
        }
        // Bytes from 2^40 on: SQLite locks bytes from 2^30 (its pending byte) to 2^30 + 512.
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(1 << 40) + off_t(hash(run) % (1 << 40))
        lock.l_len = 1
        guard fcntl(fd, Self.setOFDLock, &lock) == 0 else {
            let code = errno
            close(fd)
            if code == EAGAIN || code == EACCES { throw taken }
            throw JournalError(.io, "cannot lock the journal to claim the run (\(String(cString: strerror(code))))", context: .init(journalPath: path, run: run))
        }
        return RunClaim(fd: fd, run: run, path: path, configuration: configuration)
    }
}

extension Journal {
    /// Claims `run` for this process until the claim is released (see ``RunClaim``).
    /// - Throws: `.conflict` when another process drives the run.
    public func claim(run: String) throws(JournalError) -> RunClaim {
        try RunClaim.claim(run, journal: path, configuration: configuration)
    }
}
