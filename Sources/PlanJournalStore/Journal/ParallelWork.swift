import Dispatch
import Foundation
import Synchronization

/// Independent pieces of work (runs to verify, runs to export) shared among a few threads: each
/// worker takes the next index as soon as it is free, so one long piece does not hold up the rest.
package enum ParallelWork {
    /// Runs `worker` on up to `maxWorkers` threads (no more than the processors, nor `count`);
    /// each calls `take` for the next index of `0..<count` until it returns `nil`. Once a worker
    /// throws, `take` returns `nil` to every worker and the first error is rethrown.
    package static func run<E: Error>(
        count: Int, maxWorkers: Int = 4, _ worker: @Sendable (_ take: () -> Int?) throws(E) -> Void
    ) throws(E) {
        let workers = min(count, max(1, min(maxWorkers, ProcessInfo.processInfo.activeProcessorCount)))
        guard workers > 0 else { return }
        let next = Atomic<Int>(0)
        let failure = Mutex<E?>(nil)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let take = { () -> Int? in
                guard failure.withLock({ $0 == nil }) else { return nil }
                let k = next.add(1, ordering: .relaxed).oldValue
                return k < count ? k : nil
            }
            do throws(E) {
                try worker(take)
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// `transform` of each index of `0..<count`, computed on up to `maxWorkers` threads (as
    /// ``run(count:maxWorkers:_:)`` shares them) and returned in index order.
    package static func map<T: Sendable, E: Error>(
        count: Int, maxWorkers: Int = 4, _ transform: @Sendable (Int) throws(E) -> T
    ) throws(E) -> [T] {
        let results = Mutex<[T?]>(Array(repeating: nil, count: count))
        try run(count: count, maxWorkers: maxWorkers) { (take) throws(E) in
            while let k = take() {
                let value = try transform(k)
                results.withLock { $0[k] = value }
            }
        }
        return results.withLock { $0.compactMap { $0 } }
    }
}
