import PlanJournalCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file (or standard input) read front to back in large blocks with `read(2)`.
///
/// Foundation's `FileHandle.read(upToCount:)` reads a regular file 4 KiB per system call: 26,000
/// calls for the 106 MB benchmark corpus, on the thread that parses it. This asks for the whole
/// block at once.
struct InputFile: ~Copyable {
    private let fd: Int32
    private let ownsDescriptor: Bool
    /// The path as given, for messages (`-` is standard input).
    let path: String

    /// Opens `path` for reading; `-` is standard input.
    /// - Throws: ``JournalError/cannotOpen(_:errno:)``'s error when the file cannot be opened.
    init(path: String) throws(JournalError) {
        self.path = path
        if path == "-" {
            try StandardDescriptors.requireInput()
            fd = 0
            ownsDescriptor = false
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw JournalError.cannotOpen(path, errno: errno) }
        fd = opened
        ownsDescriptor = true
    }

    /// Throws what opening `path` would, without opening it: a missing or unreadable file, or a
    /// directory. Anything but a regular file (a FIFO waits for its writer when opened) is left
    /// to the read.
    static func check(path: String) throws(JournalError) {
        guard path != "-" else { return }
        var info = stat()
        guard stat(path, &info) == 0 else { throw JournalError.cannotOpen(path, errno: errno) }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw JournalError(.usage, "cannot read the input: it is a directory", context: .init(file: path))
        }
        if info.st_mode & S_IFMT == S_IFREG && access(path, R_OK) != 0 { throw JournalError.cannotOpen(path, errno: errno) }
    }


    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// The next block: what one `read(2)` returns, up to `count` bytes (a pipe returns what it
    /// holds, so a live stream is parsed as it comes); `nil` at the end of the input.
    /// - Throws: `.io` when reading fails.
    func nextBlock(upTo count: Int) throws(JournalError) -> [UInt8]? {
        try FileDescriptor(fd).readBlock(upTo: count, failure: "cannot read the input", context: .init(file: path))
    }
}

extension JournalError {
    /// The error of an input file that cannot be opened: a path that names nothing is a usage
    /// error (exit 2), a file that is there but cannot be read (permissions, a failing disk) an
    /// I/O error (exit 8).
    package static func cannotOpen(_ path: String, errno code: Int32) -> JournalError {
        let missing = code == ENOENT || code == ENOTDIR
        return JournalError(
            missing ? .usage : .io, "cannot open the input file: \(String(cString: strerror(code)))", context: .init(file: path))
    }
}
