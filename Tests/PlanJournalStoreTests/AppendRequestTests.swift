import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// Appends are chained on the submitting thread from a guessed head (``PrecomputedChain``); the
/// writer uses those heads only when they start from the run's actual head.
@Suite struct AppendRequestTests {
    @Test func aPrecomputedChainIsTheHashChainAndOnlyStartsFromItsOwnHead() throws {
        let run = try RunBuilder.complete(run: "chain", steps: 2, payloadBytes: 100)
        let chain = PrecomputedChain(run.events, from: HashChain.genesis)
        var expected = HashChain()
        for (i, e) in run.events.enumerated() {
            expected.append(e.bytes)
            #expect(chain.heads[i] == expected.head)
        }
        #expect(chain.heads(from: HashChain.genesis) != nil)
        #expect(chain.heads(from: [UInt8](repeating: 1, count: 32)) == nil)
    }

    @Test func theWriterIgnoresAChainComputedFromAnotherHead() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "guess", steps: 3, payloadBytes: 100)
        let head = Array(run.events.prefix(4))
        let rest = Array(run.events.dropFirst(4))
        _ = try await t.journal.append(head, to: run.run, expecting: .noRun)
        // A guess from a head the run does not have (as if another process had appended).
        let wrong = PrecomputedChain(rest, from: [UInt8](repeating: 7, count: 32))
        let request = AppendRequest(events: rest, run: run.run, expecting: .exactly(4), chain: wrong, logs: true)
        let results = try t.journal.withWriter { w in w.commitGroup([request]).results }
        var expected = HashChain()
        for e in run.events { expected.append(e.bytes) }
        #expect(try results[0].get().headHash == HashChain.hex(expected.head))
        #expect(try t.journal.verify().ok)
        #expect(try t.journal.events(of: run.run).map(\.bytes) == run.events.map(\.bytes))
    }

    @Test func chainHeadsGuessFromTheLastAppendAndForgetCompletedRuns() throws {
        let run = try RunBuilder.complete(run: "heads", steps: 2, payloadBytes: 100)
        let heads = ChainHeads()
        let first = Array(run.events.prefix(2))
        let second = Array(run.events.dropFirst(2))
        // An append from seq 1 starts from the genesis hash; a later one needs a remembered head.
        #expect(heads.chain(for: first, run: run.run)?.start == HashChain.genesis)
        #expect(heads.chain(for: second, run: run.run) == nil)
        var chain = HashChain()
        for e in first { chain.append(e.bytes) }
        heads.note(
            AppendResult(run: run.run, firstSeq: 1, lastSeq: 2, head: chain.head), completed: false)
        #expect(heads.chain(for: second, run: run.run)?.start == chain.head)
        heads.note(
            AppendResult(run: run.run, firstSeq: 3, lastSeq: Int64(run.events.count), head: [0xAB]), completed: true)
        #expect(heads.chain(for: second, run: run.run) == nil)
    }

    @Test func theAppendLogRecordIsAHeaderAndTheEventLines() throws {
        let run = try RunBuilder.complete(run: "record", steps: 1, payloadBytes: 50)
        let events = Array(run.events.prefix(2))
        let lines = events.flatMap { $0.bytes + [UInt8(ascii: "\n")] }
        let sum = String(XXH64.hash(lines), radix: 16)
        let header = "@2 \(lines.count) \(String(repeating: "0", count: 16 - sum.count) + sum)\n"
        #expect(AppendLogFormat.record(of: events) == Array(header.utf8) + lines)
    }
}
