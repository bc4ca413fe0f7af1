import Foundation
import Synchronization

/// The channels whose programs may still run, and their stopping: all of them at the end of a
/// command or on SIGTERM, and one released or replaced in the background.
extension SubprocessChannel {
    /// The channels whose programs may still run, for ``stopAll()``; held weakly, so that
    /// releasing a channel stops its program.
    static let live = Mutex<[ObjectIdentifier: WeakChannel]>([:])

    /// A channel in ``live``, held weakly.
    final class WeakChannel: Sendable {
        weak let channel: SubprocessChannel?
        init(_ channel: SubprocessChannel) { self.channel = channel }
    }

    /// ``stop(grace:)`` on a thread of its own (a program replaced by a new one): ``stopAll()``
    /// waits for it, so that the program does not outlive planj.
    func stopInBackground() {
        Self.live.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
        Self.stopInBackground(process, shared)
    }

    /// Stops `process` on a thread of its own, unless it has ended; ``stopAll()`` waits for it.
    static func stopInBackground(_ process: SpawnedProcess, _ shared: Shared) {
        guard shared.state.withLock({ $0.ended == nil }) else { return }
        stopping.enter()
        let stopper = Thread {
            stop(process, shared, grace: .milliseconds(500))
            stopping.leave()
        }
        stopper.name = "planj-subprocess-stopper"
        stopper.start()
    }

    /// Stops the programs of every channel still open (at the end of a command, or when it is
    /// interrupted), side by side: each on a thread of its own, so that stopping any number of
    /// programs that ignore their input closing and SIGTERM takes their grace periods once.
    public static func stopAll() {
        let channels = live.withLock { $0.values.compactMap(\.channel) }
        let stopped = DispatchGroup()
        for channel in channels {
            stopped.enter()
            let stopper = Thread {
                channel.stop()
                stopped.leave()
            }
            stopper.name = "planj-subprocess-stopper"
            stopper.start()
        }
        stopped.wait()
        // And those of channels released or replaced, still being stopped.
        waitForBackgroundStops()
    }

    /// Waits (up to 3 s) until the programs being stopped in the background (released or
    /// replaced channels) have ended.
    static func waitForBackgroundStops() {
        _ = stopping.wait(timeout: .now() + 3)
    }

    /// Stops every program, as ``stopAll()`` does, and starts none after (planj is ending while
    /// runs go on: one whose agent was stopped would start it again).
    public static func stopAllForGood() {
        closed.withLock { $0 = true }
        stopAll()
    }

    /// Kills every program at once (SIGKILL to its process group), and starts none after: planj
    /// is quitting at once (a second Ctrl-C). Returns without waiting for their ends.
    public static func killAll() {
        closed.withLock { $0 = true }
        SpawnedProcess.killAll()
    }

    /// Set by ``stopAllForGood()`` and ``killAll()``.
    static let closed = Mutex(false)

    /// Programs of released or replaced channels still being stopped (see ``stopInBackground()``).
    private static let stopping = DispatchGroup()
}
