import PlanJournalCore
import Testing

@testable import PlanJournalStore

/// Lines come out the same however the input is cut into blocks.
@Suite struct LineSplitterTests {
    private func lines(of input: [UInt8], blockSize: Int) throws -> [[UInt8]] {
        var splitter = LineSplitter(maxLineBytes: 1 << 20)
        var out: [[UInt8]] = []
        let sink: LineSplitter.Sink = { (line, _, _, _) throws(JournalError) in out.append(line) }
        var start = 0
        while start < input.count {
            let end = min(input.count, start + blockSize)
            try splitter.push(Array(input[start..<end]), sink)
            start = end
        }
        try splitter.finish(sink)
        return out
    }

    @Test(arguments: [1, 2, 3, 4, 7, 4096])
    func aLeadingByteOrderMarkIsSkippedInAnyBlockSize(blockSize: Int) throws {
        let text = Array("{\"a\":1}\n{\"b\":2}".utf8)
        #expect(try lines(of: [0xEF, 0xBB, 0xBF] + text, blockSize: blockSize) == [Array("{\"a\":1}".utf8), Array("{\"b\":2}".utf8)])
        #expect(try lines(of: text, blockSize: blockSize).count == 2)
        // Only at the very start, and only whole: anything else stays in the line, for the parser to reject.
        #expect(try lines(of: [0xEF, 0xBB], blockSize: blockSize) == [[0xEF, 0xBB]])
        #expect(try lines(of: text + [0x0A, 0xEF, 0xBB, 0xBF], blockSize: blockSize).last == [0xEF, 0xBB, 0xBF])
    }
}
