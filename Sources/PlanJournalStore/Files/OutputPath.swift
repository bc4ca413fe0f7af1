import Foundation
import PlanJournalCore

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

    /// Where output named `path` goes: a file, replaced whole when complete, or a stream written
    /// in place. Symbolic links are followed: the file they point to is replaced, not the link.
    /// - Throws: `.usage` naming the path for a directory, a block device or a SQLite database.
    public static func target(_ path: String) throws(JournalError) -> OutputTarget {
        var info = stat()
        guard stat(path, &info) == 0 else { return .file(path) }  // new (or a dangling link: replaced)
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            let resolved = realpath(path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? path
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

    /// Moves the finished `temporary` file to `path` in one step (`rename(2)`): an existing file
    /// there is replaced, a directory is not.
    /// - Throws: `.io` naming the path.
    public static func moveIntoPlace(_ temporary: String, _ path: String) throws(JournalError) {
        try checkReplaceable(path)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw JournalError(.io, "cannot move the finished file into place: \(reason)", context: .init(file: path))
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
    /// A character device, FIFO or socket (`/dev/null`, `/dev/stdout` on a pipe, `>(cmd)`):
    /// written in place, as there is no file to replace.
    case stream(String)
}
