import Foundation
import Synchronization

/// The write end of a child's standard input pipe, kept non-blocking: a write that finds the pipe
/// full (the child stopped reading) waits for room in `poll`, holding no lock that ``close()``
/// takes, and gives up once the input is closed. So closing it, and stopping the child, never
/// waits on a child that does not read.
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
    /// Held by a write for all of its bytes, so that two requests never interleave; ``close()``
    /// never takes it.
    private let turn = Mutex(())

    /// How long, in milliseconds, a write waits for room before it looks again whether the
    /// input is being closed.
    private static let recheckMilliseconds: Int32 = 50

    /// Takes over `fd`, the write end of a pipe, and makes it non-blocking.
    init(fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        state = Mutex(State(fd: fd))
    }

    deinit { close() }

    /// Writes all of `bytes`, after those of any write under way; the offset in the input where
    /// they start, or `nil` when they cannot all be written (the child closed its input or ended,
    /// or ``close()`` was called while they waited for room).
    func write(_ bytes: [UInt8]) -> Int? {
        turn.withLock { _ in
            let opened: (fd: Int32, start: Int)? = state.withLock { s in
                guard s.fd >= 0 && !s.closing else { return nil }
                s.writing = true
                return (s.fd, s.written)
            }
            guard let opened else { return nil }
            let complete = Self.withPipeSignalBlocked { writeAll(bytes, to: opened.fd) }
            state.withLock { s in
                s.writing = false
                if s.closing { Self.closeDescriptor(&s) }
            }
            return complete ? opened.start : nil
        }
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

    /// Runs `body` with SIGPIPE blocked on this thread, and taken back if `body` raised it: a
    /// write to a pipe whose reader is gone raises it, and it would end planj.
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
