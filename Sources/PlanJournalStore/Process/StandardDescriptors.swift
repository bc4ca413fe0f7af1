import Foundation
import PlanJournalCore
import Synchronization

/// Standard input, output and error as a process started with one of them closed (`planj runs
/// >&-`) should see them.
package enum StandardDescriptors {
    /// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed, and remembers which
    /// were (``wasClosed(_:)``). Call it first thing: otherwise the next file opened (SQLite's, or
    /// libdispatch's epoll descriptor) takes the number, and what is printed lands in it.
    package static func openIfClosed() {
        var closed: UInt8 = 0
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            // `open` returns the lowest free descriptor: this one, as those below it are open.
            _ = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            closed |= 1 << UInt8(fd)
        }
        closedAtStart.store(closed, ordering: .releasing)
    }

    /// Whether descriptor `fd` (0, 1 or 2) was closed when ``openIfClosed()`` ran: what is
    /// written to it goes nowhere, and what is read from it is nothing, so a command that would
    /// use it says so rather than succeed.
    package static func wasClosed(_ fd: Int32) -> Bool {
        (0...2).contains(fd) && closedAtStart.load(ordering: .acquiring) & (1 << UInt8(fd)) != 0
    }

    /// Throws when standard input was closed at start (`planj ingest - <&-`): reading it would
    /// read nothing, and the command would succeed having done nothing.
    package static func requireInput() throws(JournalError) {
        guard wasClosed(0) else { return }
        throw JournalError(.usage, "standard input is closed: there is nothing to read (give the input on standard input, or name a file)",
            context: .init(file: "-"))
    }

    private static let closedAtStart = Atomic<UInt8>(0)
}
