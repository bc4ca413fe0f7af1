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
    /// The session holding the lock in PostgreSQL (the lock ends with it).
    private let session: PGConnection?

    private init(fd: Int32 = -1, session: PGConnection? = nil) {
        self.fd = fd
        self.session = session
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

    /// Claims `run` of the journal at `path`.
    /// - Throws: `.conflict` when another process holds the claim; `.io` when the lock cannot be
    ///   taken.
    static func claim(_ run: String, journal path: String, configuration: JournalConfiguration) throws(JournalError) -> RunClaim {
        let taken = JournalError(
            .conflict, "another process is driving this run (planj run, resume or replay): wait for it to end, or stop it",
            context: .init(journalPath: Journal.displayName(path), run: run))
        if JournalBackend.isPostgres(path) {
            let connection = try PGConnection(
                url: path, lockTimeoutMilliseconds: configuration.busyTimeoutMilliseconds, durability: configuration.durability)
            let key = Int32(truncatingIfNeeded: hash(run))
            let rows = try connection.query("SELECT pg_try_advisory_lock(1347, \(key))", [])
            guard case .int(1)? = rows.first?.first else { throw taken }
            return RunClaim(session: connection)
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
        return RunClaim(fd: fd)
    }
}

extension Journal {
    /// Claims `run` for this process until the claim is released (see ``RunClaim``).
    /// - Throws: `.conflict` when another process drives the run.
    public func claim(run: String) throws(JournalError) -> RunClaim {
        try RunClaim.claim(run, journal: path, configuration: configuration)
    }
}
