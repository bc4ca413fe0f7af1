import Foundation
import Synchronization
import Testing

@testable import PlanJournalCLI

/// planj's own signal handling (SIGUSR2 here, which nothing else in the test process uses).
@Suite(.serialized) struct SignalCatcherTests {
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func add() { value.add(1, ordering: .releasing) }
        var count: Int { value.load(ordering: .acquiring) }
    }

    /// Waits until `counter` reaches `target` (at most 5 s); whether it did.
    private func reaches(_ counter: Counter, _ target: Int) async -> Bool {
        for _ in 0..<500 where counter.count < target { try? await Task.sleep(for: .milliseconds(10)) }
        return counter.count == target
    }

    /// A signal sent the moment the catcher exists is caught (a Dispatch signal source installed
    /// its handler milliseconds after `resume()`, and a signal in between was lost); a later
    /// catcher takes the signal over until it stops; the last to stop restores the default action.
    @Test func aSignalRightAfterTheCatcherIsMadeIsCaughtAndCatchersNest() async throws {
        let first = Counter(), second = Counter()
        let outer = SignalCatcher([SIGUSR2]) { _ in first.add() }
        kill(getpid(), SIGUSR2)
        #expect(await reaches(first, 1))
        let inner = SignalCatcher([SIGUSR2]) { number in
            #expect(number == SIGUSR2)
            second.add()
        }
        kill(getpid(), SIGUSR2)
        #expect(await reaches(second, 1))
        inner.stop()
        kill(getpid(), SIGUSR2)
        #expect(await reaches(first, 2) && second.count == 1)
        outer.stop()
        var action = sigaction()
        sigaction(SIGUSR2, nil, &action)
        #expect(unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_DFL, to: Int.self))
    }
}
