import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// The parser's queue of batches is bounded in bytes as well as in lines; the parser hashes each
/// run's chain ahead of the writer.
@Suite struct ParsePipelineTests {
    @Test func aBatchEndsAtItsByteLimitSoLargeLinesDoNotPileUp() throws {
        let big = 5 << 20  // over a batch's bytes: a batch ends at each such line
        func line(_ seq: Int, _ size: Int) -> [UInt8] {
            let head = #"{"run":"r","seq":\#(seq),"ts":"2026-11-24T10:00:00Z","kind":"note","data":{"text":""#
            return Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: size) + Array(#""}}"#.utf8) + [0x0A]
        }
        let sizes = [10, big, big, 10, 10, big, 10]
        let input = sizes.enumerated().flatMap { line($0.offset + 1, $0.element) }
        let pipeline = ParsePipeline(maxLineBytes: 16 << 20) { (push) throws(JournalError) in
            var start = 0
            while start < input.count {
                try push(Array(input[start..<min(input.count, start + 65_536)]))
                start += 65_536
            }
        }
        var batches: [[Int64]] = []
        while let batch = try pipeline.next() {
            #expect(batch.lineBytes <= ParsePipeline.batchBytes + big + 200)
            let seqs = batch.lines.compactMap { line -> Int64? in
                if case .event(let e, _, _, _) = line { return e.seq }
                return nil
            }
            if !seqs.isEmpty { batches.append(seqs) }
        }
        #expect(batches.flatMap { $0 } == Array(1...7))
        #expect(batches == [[1, 2], [3], [4, 5, 6], [7]])
    }

    @Test func theParserChainsARunFromItsFirstEventAndStopsAtAGapOrItsEnd() throws {
        let run = try RunBuilder.complete(run: "ahead", steps: 2, payloadBytes: 100)
        let other = try RunBuilder.complete(run: "other", steps: 1, payloadBytes: 10)
        // Interleaved runs; `other` starts at its seq 2 (its seq 1 is left out: a gap), and a
        // line of `ahead` comes again after its run.completed.
        var lines: [JournalEvent] = [run.events[0], other.events[1], run.events[1]]
        lines += Array(run.events.dropFirst(2)) + Array(other.events.dropFirst(2)) + [run.events[3]]
        let input: [UInt8] = lines.flatMap { $0.bytes + [0x0A] }
        let pipeline = ParsePipeline(maxLineBytes: 1 << 20) { (push) throws(JournalError) in try push(input) }
        var expected = HashChain()
        var heads: [[UInt8]?] = []
        while let batch = try pipeline.next() {
            for case .event(let e, _, _, let chain) in batch.lines {
                heads.append(chain?.heads.first)
                if e.run == run.run, chain != nil {
                    #expect(chain?.start == expected.head)
                    expected.append(e.bytes)
                    #expect(chain?.heads == [expected.head])
                }
            }
        }
        let ahead = run.events.count
        #expect(heads.count == lines.count)
        #expect(heads.filter { $0 != nil }.count == ahead)
        #expect(heads[1] == nil && heads.last! == nil)
        var full = HashChain()
        for e in run.events { full.append(e.bytes) }
        #expect(expected.head == full.head)
    }
}
