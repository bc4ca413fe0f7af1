import Foundation
import PlanJournalCore
import Synchronization

/// A path that a command writes a file to (an export, a `.pjl` copy, a key): what may be there
/// already, and how the finished file replaces it.
public enum OutputPath {
    /// Throws when writing `path` would destroy something other than a plain file: a directory,
    /// or a SQLite database (a journal, say) or its `-wal`/`-shm` file.
    /// - Throws: `.usage` naming the path.
    public static func checkReplaceable(_ path: String) throws(JournalError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue {
            throw JournalError(.usage, "is a directory: name a file to write", context: .init(file: path))
        }
        for suffix in ["-wal", "-shm", "-journal"] where path.hasSuffix(suffix) {
            if isSQLiteDatabase(String(path.dropLast(suffix.count))) {
                throw JournalError(.usage, "belongs to a SQLite database: refusing to write over it", context: .init(file: path))
            }
        }
        if isSQLiteDatabase(path) {
            throw JournalError(.usage, "is a SQLite database (a journal?): refusing to write over it", context: .init(file: path))
        }
    }

    /// Where output named `path` goes: a file, replaced whole when complete, or a stream or
    /// descriptor written in place. A symbolic link of this user's is followed (the file it names
    /// is replaced, the link kept); another user's is replaced itself.
    /// - Throws: `.usage` naming the path for a directory, a block device or a SQLite database.
    public static func target(_ path: String) throws(JournalError) -> OutputTarget {
        // The process's own descriptors: written where they point, at their offset (renaming over
        // the file `>> log` opened would lose what it held, and what the shell writes after).
        if let fd = descriptor(path) { return .descriptor(fd) }
        var info = stat()
        guard stat(path, &info) == 0 else { return .file(path) }  // new (or a dangling link: replaced)
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            // A link of this user's is followed (the file it names is replaced); one another user
            // planted (in /tmp, say) is replaced itself, never the file it names.
            var link = stat()
            let followed = lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK && link.st_uid == geteuid()
            let resolved = followed ? realpath(path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? path : path
            try checkReplaceable(resolved)
            return .file(resolved)
        case S_IFDIR:
            throw JournalError(.usage, "is a directory: name a file to write", context: .init(file: path))
        case S_IFBLK:
            throw JournalError(.usage, "is a block device: refusing to write to it", context: .init(file: path))
        default:
            return .stream(path)
        }
    }

    /// Creates the temporary file that becomes `file` when complete (`file.partial-PID`, after
    /// this process; never a database or a directory), with the permissions `file` has if it
    /// exists (an export kept private stays private). Two processes writing one file each write a
    /// temporary of their own, and the last to finish replaces the file whole. Leftovers of
    /// processes that are gone (killed) are removed first, as is `file.partial`, an older planj's.
    /// - Throws: `.usage` for a database or directory there, `.io` when it cannot be created.
    public static func createTemporary(for file: String) throws(JournalError) -> (path: String, handle: FileHandle) {
        removeLeftovers(of: file)
        let temporary = file + partialSuffix + String(getpid())
        try checkReplaceable(temporary)
        var info = stat()
        let mode = lstat(file, &info) == 0 && info.st_mode & S_IFMT == S_IFREG ? info.st_mode & 0o777 : nil
        // Created new, never through a link: in a folder another user can write, a link put at
        // this name (before, or between creating and opening it) would have the export written
        // into the file it names.
        // Created and registered under the lock a signal's ``removeUnfinished()`` takes: a file
        // made while planj is ending would stay (created after the removal, or before its
        // registration), and none is made once it has begun.
        let (fd, failure): (Int32, Int32) = unfinished.withLock { state in
            guard !state.stopping else { return (-1, ECANCELED) }
            var fd: Int32 = -1
            for _ in 0..<3 where fd < 0 {
                unlink(temporary)  // a leftover of a process of the same pid (a link itself, not what it names)
                fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ?? 0o644)
                if fd < 0 && errno != EEXIST { break }
            }
            if fd >= 0 { state.paths.insert(temporary) }
            return (fd, fd >= 0 ? 0 : errno)
        }
        guard fd >= 0 else {
            let reason = String(cString: strerror(failure))
            let folder = (file as NSString).deletingLastPathComponent
            let hint = FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder) ? reason : "no directory \(folder)"
            throw JournalError(.io, "cannot write the output file (\(hint))", context: .init(file: file))
        }
        if let mode { _ = fchmod(fd, mode) }  // exactly, whatever the umask took away
        return (temporary, FileHandle(fileDescriptor: fd, closeOnDealloc: true))
    }

    /// What follows a file's name in the name of its temporary, before the writer's pid.
    private static let partialSuffix = ".partial-"

    /// Temporaries of this process not yet moved into place or removed, and whether planj is
    /// ending (no more are made).
    private struct Temporaries {
        var paths: Set<String> = []
        var stopping = false
    }
    private static let unfinished = Mutex(Temporaries())

    /// Removes a temporary that will not be finished (its command failed).
    public static func removeTemporary(_ temporary: String) {
        unfinished.withLock { _ = $0.paths.remove(temporary) }
        unlink(temporary)
    }

    /// Removes every temporary of this process not yet finished (planj is ending on a signal),
    /// and returns the files they were to become; none is made after it.
    public static func removeUnfinished() -> [String] {
        unfinished.withLock { state in
            state.stopping = true
            defer { state.paths.removeAll() }
            return state.paths.sorted().map { path in
                unlink(path)
                return String(path[..<(path.range(of: partialSuffix, options: .backwards)?.lowerBound ?? path.endIndex)])
            }
        }
    }

    /// Removes the temporaries of `file` whose writers are gone: `file.partial-PID` of a pid
    /// that no process has, and `file.partial` (an older planj's name). A live writer's stays.
    private static func removeLeftovers(of file: String) {
        let directory = (file as NSString).deletingLastPathComponent
        let name = (file as NSString).lastPathComponent
        for other in partialNames(in: directory) where other == name + ".partial" || other.hasPrefix(name + partialSuffix) {
            if other != name + ".partial" {
                guard let pid = pid_t(other.dropFirst(name.count + partialSuffix.count)), pid > 0, pid != getpid(),
                    kill(pid, 0) != 0, errno == ESRCH
                else { continue }
            }
            // A plain file or a link (never what it names); not a database or a folder put there.
            let path = directory.isEmpty ? other : directory + "/" + other
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let type = info.st_mode & S_IFMT
            if type == S_IFLNK || (type == S_IFREG && !isSQLiteDatabase(path)) { unlink(path) }
        }
    }

    /// The names in `directory` that hold `.partial`, as it was when this process first looked
    /// (leftovers are of writers gone before it): `export --all` listed its folder again for each
    /// file it wrote, a listing as long as the export.
    private static func partialNames(in directory: String) -> [String] {
        if let known = partialsByDirectory.withLock({ $0[directory] }) { return known }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        let partials = names.filter { $0.contains(".partial") }
        partialsByDirectory.withLock { $0[directory] = partials }
        return partials
    }

    private static let partialsByDirectory = Mutex<[String: [String]]>([:])

    /// The descriptor a path names: `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`.
    static func descriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count)).flatMap { $0 >= 0 ? $0 : nil }
            }
            return nil
        }
    }

    /// Moves the finished `temporary` file to `path` in one step (`rename(2)`): an existing file
    /// there is replaced, a directory is not.
    /// - Throws: `.io` naming the path.
    public static func moveIntoPlace(_ temporary: String, _ path: String) throws(JournalError) {
        try checkReplaceable(path)
        var at = stat()
        guard lstat(temporary, &at) == 0, at.st_mode & S_IFMT == S_IFREG else {
            throw JournalError(.io, "the finished file was replaced by something else before it was moved into place", context: .init(file: temporary))
        }
        // Under the lock a signal's removal takes: a file it names as removed was not moved here.
        let failure: Int32? = unfinished.withLock { state in
            guard !state.stopping, state.paths.contains(temporary) else { return ECANCELED }
            guard rename(temporary, path) == 0 else { return errno }
            state.paths.remove(temporary)
            return nil
        }
        if let failure {
            removeTemporary(temporary)
            throw JournalError(.io, "cannot move the finished file into place: \(String(cString: strerror(failure)))", context: .init(file: path))
        }
    }

    /// Whether `path` is a file that starts as a SQLite database does.
    static func isSQLiteDatabase(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        return header == Data("SQLite format 3\0".utf8)
    }
}

/// Where a command's output goes (``OutputPath/target(_:)``).
public enum OutputTarget: Sendable, Equatable {
    /// A new or regular file: written beside it under a temporary name, then renamed over it.
    case file(String)
    /// A character device, FIFO or socket (`/dev/null`, `>(cmd)`): written in place, as there is
    /// no file to replace.
    case stream(String)
    /// An open descriptor of the process (`/dev/stdout`, `/dev/fd/3`): written as it is.
    case descriptor(Int32)

    /// A handle that writes to a stream or descriptor target (`path` as the user gave it, for
    /// messages), and whether it is closed when done (not for the process's own descriptors).
    /// - Precondition: not a `.file`, which is written through ``OutputPath/createTemporary(for:)``.
    /// - Throws: `.io` naming `path` when the stream cannot be opened.
    public func openStream(path: String) throws(JournalError) -> (handle: FileHandle, closes: Bool) {
        switch self {
        case .file: preconditionFailure("a file is written through a temporary file")
        case .descriptor(let fd): return (FileHandle(fileDescriptor: fd, closeOnDealloc: false), false)
        case .stream(let device):
            guard let handle = FileHandle(forWritingAtPath: device) else {
                throw JournalError(.io, "cannot open for writing: \(String(cString: strerror(errno)))", context: .init(file: path))
            }
            return (handle, true)
        }
    }
}
