import Foundation
import Synchronization

/// SIGINT and SIGTERM caught by planj's own handler, which is in place as soon as a catcher is
/// made, and handed to the catcher's closure on a thread of planj's own.
///
/// Dispatch's signal sources install their handler some milliseconds after `resume()` (4.8 ms
/// measured), and only for the first source of a signal: a signal in that gap was lost (its
/// action was `SIG_IGN`, as Dispatch asks), and a command interrupted during its first
/// milliseconds ran on to the end. Here the handler only writes the signal's number to a pipe,
/// which the thread reads.
final class SignalCatcher: Sendable {
    private let id: Int
    private let signals: [Int32]

    /// Catches `signals` until ``stop()``; `handler` is called with each signal caught, one at a
    /// time. A later catcher of the same signal takes it over until it stops.
    init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        Self.startReader()
        self.signals = signals
        id = Self.catchers.withLock { state in
            state.nextID += 1
            state.list.append((state.nextID, signals, handler))
            return state.nextID
        }
        for number in signals { signal(number, signalHandler) }
    }

    /// Gives the signals back to their default action (ending planj), unless another catcher
    /// still catches them.
    func stop() {
        let uncaught = Self.catchers.withLock { state in
            state.list.removeAll { $0.id == id }
            return signals.filter { number in !state.list.contains { $0.signals.contains(number) } }
        }
        for number in uncaught { signal(number, SIG_DFL) }
    }

    private typealias Handler = @Sendable (Int32) -> Void
    private struct State {
        var nextID = 0
        var list: [(id: Int, signals: [Int32], handler: Handler)] = []
        var reading = false
    }
    private static let catchers = Mutex(State())

    /// The pipe's end the signal handler writes to (-1 until the reader runs).
    fileprivate static let writeEnd = Atomic<Int32>(-1)

    private static func startReader() {
        let start = catchers.withLock { state in
            defer { state.reading = true }
            return !state.reading
        }
        guard start else { return }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // A full pipe (thousands of signals unread) must not block the handler.
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        writeEnd.store(ends[1], ordering: .releasing)
        let readEnd = ends[0]
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                guard n == 1 else { return }
                deliver(Int32(byte))
            }
        }
        thread.name = "planj.signals"
        thread.start()
    }

    /// Calls the latest catcher of `number`; with none left (it stopped as the signal came), the
    /// signal's default action ends planj as the signal would have.
    private static func deliver(_ number: Int32) {
        let handler = catchers.withLock { state in state.list.last { $0.signals.contains(number) }?.handler }
        guard let handler else {
            signal(number, SIG_DFL)
            kill(getpid(), number)
            return
        }
        handler(number)
    }
}

/// The signal handler: async-signal-safe (an atomic load and `write`), `errno` kept.
private func signalHandler(_ number: Int32) {
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(SignalCatcher.writeEnd.load(ordering: .acquiring), &byte, 1)
    errno = saved
}
