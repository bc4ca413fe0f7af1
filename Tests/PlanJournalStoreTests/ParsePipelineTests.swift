import PlanJournalCore
import Testing

@testable import PlanJournalStore

/// The parser's queue of batches is bounded in bytes as well as in lines.
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
                if case .event(let e, _, _) = line { return e.seq }
                return nil
            }
            if !seqs.isEmpty { batches.append(seqs) }
        }
        #expect(batches.flatMap { $0 } == Array(1...7))
        #expect(batches == [[1, 2], [3], [4, 5, 6], [7]])
    }
}
