import PlanJournalCore

extension Journal {
    /// The events of `run` from `seq` on: first those already in the journal, then each new one as
    /// it is appended (by this process or another). The stream ends after `run.completed`.
    /// - Parameter pollInterval: how often the journal is checked for new events.
    public func subscribe(
        to run: String, from seq: Int64 = 1, pollInterval: Duration = .milliseconds(50)
    ) -> AsyncThrowingStream<JournalEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: JournalEvent.self, throwing: (any Error).self, bufferingPolicy: .unbounded)
        let task = Task {
            var next = seq
            do {
                while !Task.isCancelled {
                    var completed = false
                    if (try? self.run(run)) != nil {
                        try self.forEachEvent(of: run, from: next) { e in
                            continuation.yield(e)
                            next = e.seq + 1
                            if e.knownKind == .runCompleted { completed = true }
                        }
                    }
                    if completed { break }
                    try await Task.sleep(for: pollInterval)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
