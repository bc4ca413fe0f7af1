import Foundation
import Synchronization

/// The write end of a child's standard input pipe, kept non-blocking and written on a queue of its
/// own: a write that finds the pipe full (the child stopped reading) waits for room in `poll` on
/// that queue's thread, never on a thread of Swift's cooperative pool (writes waiting there for a
/// busy child took all of its threads, and with them `--timeout`, `planj cancel` and the run), and
/// holds no lock that ``close()`` takes, giving up once the input is closed. So closing it, and
/// stopping the child, never waits on a child that does not read.
final class ChildInput: Sendable {
    /// What writes, ``close()`` and ``bytesRead()`` share; each holds it only for a moment.
    private struct State {
        /// The descriptor; -1 once closed.
        var fd: Int32
        /// How many bytes were written to it.
        var written = 0
        /// Whether a write is under way: the descriptor is then closed by that write as it gives
        /// up, not by ``close()`` (a file opened meanwhile could be given its number).
        var writing = false
        /// Set by ``close()``: a write under way gives up, and no other starts.
        var closing = false
    }

    private let state: Mutex<State>
    /// Runs the writes one at a time, in the order they were asked for, so that two requests never
    /// interleave; ``close()`` never waits for it. (A serial queue: its thread is not one of the
    /// cooperative pool's.)
    private let writer = DispatchQueue(label: "planj-subprocess-writer")

    /// How long, in milliseconds, a write waits for room before it looks again whether the
    /// input is being closed.
    private static let recheckMilliseconds: Int32 = 50

    /// Takes over `fd`, the write end of a pipe, and makes it non-blocking.
    init(fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        state = Mutex(State(fd: fd))
    }

    deinit { close() }

    /// Writes all of `bytes` after those of the writes asked for before, on the writer queue;
    /// returns at once. When their turn comes, `starting` is told the offset in the input where
    /// they start, and they are written only if it says so (`false`: their call has gone); then
    /// `done` is told whether they all were: not when `starting` declined, when the child closed
    /// its input or ended, or when ``close()`` was called before or while they waited for room.
    func write(
        _ bytes: [UInt8], starting: @escaping @Sendable (_ start: Int) -> Bool, done: @escaping @Sendable (_ written: Bool) -> Void
    ) {
        writer.async { done(self.writeInTurn(bytes, starting: starting)) }
    }

    /// ``write(_:starting:done:)``'s work, on the writer queue.
    private func writeInTurn(_ bytes: [UInt8], starting: (Int) -> Bool) -> Bool {
        let opened: (fd: Int32, start: Int)? = state.withLock { s in
            guard s.fd >= 0 && !s.closing else { return nil }
            s.writing = true
            return (s.fd, s.written)
        }
        guard let opened else { return false }
        // (No other write moves `written` meanwhile: they all run on this queue.)
        var complete = false
        if starting(opened.start) {
            complete = Self.withPipeSignalBlocked { writeAll(bytes, to: opened.fd) }
        }
        state.withLock { s in
            s.writing = false
            if s.closing { Self.closeDescriptor(&s) }
        }
        return complete
    }

    /// Closes the input (the protocol's signal to end) at once, or, while a write waits for room,
    /// makes that write give up and close it (within ``recheckMilliseconds``).
    func close() {
        state.withLock { s in
            s.closing = true
            if !s.writing { Self.closeDescriptor(&s) }
        }
    }

    /// How far into its input the child has read: what was written less what the pipe still
    /// holds (`FIONREAD`); `nil` once the input is closed.
    func bytesRead() -> Int? {
        state.withLock { s in
            guard s.fd >= 0 else { return nil }
            var unread: Int32 = 0
            guard ioctl(s.fd, UInt(FIONREAD), &unread) == 0 else { return nil }
            return s.written - Int(unread)
        }
    }

    /// Writes `bytes` to `fd`, waiting for room as needed; whether all were written.
    private func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var done = 0
            while done < buffer.count {
                let n = Foundation.write(fd, base + done, buffer.count - done)
                if n > 0 {
                    done += n
                    state.withLock { $0.written += n }
                } else if n < 0 && errno == EINTR {
                    continue
                } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    guard waitForRoom(in: fd) else { return false }
                } else {
                    return false
                }
            }
            return true
        }
    }

    /// Waits until `fd` can take more bytes (or has failed: the next write says how); `false`
    /// when the input is being closed.
    private func waitForRoom(in fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while !state.withLock({ $0.closing }) {
            // Room, an error, or an interruption: the next write tells which.
            if poll(&entry, 1, Self.recheckMilliseconds) != 0 { return true }
        }
        return false
    }

    private static func closeDescriptor(_ s: inout State) {
        if s.fd >= 0 { _ = Foundation.close(s.fd) }
        s.fd = -1
    }

    /// Runs `body` with SIGPIPE blocked on this thread (the writer queue's), and taken back if
    /// `body` raised it: a write to a pipe whose reader is gone raises it, and it would end planj.
    private static func withPipeSignalBlocked<T>(_ body: () -> T) -> T {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var old = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &old)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var now = timespec()
                _ = sigtimedwait(&pipeSignal, nil, &now)
            }
            pthread_sigmask(SIG_SETMASK, &old, nil)
        }
        return body()
    }
}
