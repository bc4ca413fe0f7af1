import Foundation
import PlanJournalCore

/// How a SQLite journal's path reaches SQLite and the files planj keeps beside it.
enum JournalFileName {
    /// `path` as SQLite must be given it to open that file: a path SQLite would read as a URI
    /// or as an in-memory database (`file:j.sqlite`, `:memory:`) starts with `./`, so the
    /// journal is the file of that name, which is where reading commands look for it.
    static func sqlitePath(_ path: String) -> String {
        path.hasPrefix(":") || path.lowercased().hasPrefix("file:") ? "./" + path : path
    }

    /// Where the journal's file really is: SQLite follows symbolic links and puts its `-wal` and
    /// `-shm` files beside the file linked to, and the append log (and its lock) must be beside
    /// it too, or a second name for the journal would have a log, and a lock, of its own.
    static func resolved(_ path: String) -> String {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        // Named as given unless a link is involved, so messages keep the user's spelling.
        return resolved == URL(fileURLWithPath: path).standardizedFileURL.path ? path : resolved
    }

    /// Whether the journal at `path` can only be read as it is: this user cannot write its
    /// folder (in WAL mode even a reader must create the `-shm` file beside it), it has no
    /// `-wal` (so the file holds every commit), and nobody writes it: it is on a read-only file
    /// system, or its mode lets no one write it (an archived journal). SQLite then opens it as an
    /// immutable file, without the files beside it. (A journal its owner may still write is not
    /// read so: an immutable reader would not see the owner's appends, and could read a page
    /// half written.)
    static func isReadOnlySnapshot(_ path: String) -> Bool {
        let file = resolved(path)
        let folder = (file as NSString).deletingLastPathComponent
        var info = stat()
        var volume = statvfs()
        guard access(file, R_OK) == 0, access(folder.isEmpty ? "." : folder, W_OK) != 0,
            !FileManager.default.fileExists(atPath: file + "-wal"), stat(file, &info) == 0, statvfs(file, &volume) == 0
        else { return false }
        return volume.f_flag & UInt(ST_RDONLY) != 0 || info.st_mode & 0o222 == 0
    }

    /// The URI SQLite opens an immutable file by (`?`, `#` and `%` in the path escaped).
    static func immutableURI(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: resolved(path)).standardizedFileURL.path
        var escaped = ""
        for c in absolute.unicodeScalars {
            switch c {
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            case "%": escaped += "%25"
            default: escaped.unicodeScalars.append(c)
            }
        }
        return "file:" + escaped + "?immutable=1"
    }

    /// Why the existing file at `path` cannot be a journal (a device, a pipe, a socket), if so:
    /// SQLite would create `<device>-journal` beside it and fail with an I/O error.
    static func notARegularFile(_ path: String) -> String? {
        if let broken = brokenLink(path) { return broken }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved(path)),
            let type = attributes[.type] as? FileAttributeType
        else { return nil }
        switch type {
        case .typeRegular: return nil
        case .typeDirectory:
            let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
            return "it is a directory; name the journal's file (such as \(folder)/planjournal.sqlite)"
        case .typeCharacterSpecial, .typeBlockSpecial: return "it is a device, not a file; name a journal's file"
        default: return "it is not a regular file (a pipe or a socket); name a journal's file"
        }
    }

    /// Why `path`, a symbolic link, leads to no file, if it does not: the link loops, or the
    /// file it names does not exist (SQLite would create that file; planj does not guess that a
    /// journal was meant to be there).
    static func brokenLink(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, stat(path, &info) != 0 else { return nil }
        switch errno {
        case ELOOP:
            return "it is a symbolic link that leads back to itself (a loop of links)"
        case ENOENT:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
            return "it is a symbolic link to \(target), which does not exist; "
                + "give that path to create a journal there, or remove the link"
        default:
            return nil
        }
    }
}
