import Foundation

/// Standard input, output and error as a process started with one of them closed (`planj runs
/// >&-`) should see them.
public enum StandardDescriptors {
    /// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed. Call it first thing:
    /// otherwise the next file opened (SQLite's, or libdispatch's epoll descriptor) takes the
    /// number, and what is printed lands in it.
    public static func openIfClosed() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            // `open` returns the lowest free descriptor: this one, as those below it are open.
            _ = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
        }
    }
}
