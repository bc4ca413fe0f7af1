import Foundation

/// Which file a path or a descriptor names, as the file system tells files apart: its device
/// and inode. Two paths (or a path and an open descriptor) name the same file when their
/// identities are equal; a file deleted and made again under the same name is another file.
struct FileIdentity: Equatable, Sendable {
    private let device: UInt64
    private let inode: UInt64

    /// The file at `path` now (`stat`, following symbolic links); `nil` when there is none.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The file open as `descriptor` (`fstat`); `nil` when it cannot be read.
    init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The identity in `info`.
    private init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
