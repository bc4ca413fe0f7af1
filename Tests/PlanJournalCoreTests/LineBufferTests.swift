import PlanJournalCore
import Testing

@Suite struct LineBufferTests {
    /// Feeds `input` in pieces of `size` bytes and collects the lines and the rest.
    func split(_ input: [UInt8], pieces size: Int) -> (lines: [[UInt8]], rest: [UInt8]) {
        var buffer = LineBuffer()
        var lines: [[UInt8]] = []
        var offset = 0
        while offset < input.count {
            buffer.append(input[offset..<min(offset + size, input.count)])
            offset += size
            while let line = buffer.nextLine() { lines.append(Array(line)) }
        }
        return (lines, Array(buffer.rest))
    }

    @Test(arguments: [1, 2, 3, 7, 64, 100_000])
    func linesComeOutWholeHoweverTheReadsCutThem(pieces: Int) {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 50_000)
        let input = Array("one\n\ntwo\r\n".utf8) + long + Array("\nlast".utf8)
        let (lines, rest) = split(input, pieces: pieces)
        #expect(lines == [Array("one".utf8), [], Array("two\r".utf8), long])
        #expect(rest == Array("last".utf8))
    }

    /// Past its limit a line's bytes are counted and dropped as they come: it comes out cut short
    /// with its whole length, and the lines after it whole.
    @Test(arguments: [1, 1000, 65_536])
    func aLineOverTheLimitIsCountedNotHeld(pieces: Int) {
        var buffer = LineBuffer(maxLineBytes: 10)
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 1_000_000)
        let input = long + Array("\nshort\n".utf8) + long
        var lines: [(ArraySlice<UInt8>, Int)] = []
        var offset = 0
        while offset < input.count {
            buffer.append(input[offset..<min(offset + pieces, input.count)])
            offset += pieces
            while let line = buffer.nextLine() { lines.append((line, buffer.lastLineLength)) }
            #expect(buffer.rest.count <= 11)
        }
        #expect(lines.map(\.1) == [1_000_000, 5])
        #expect(lines[0].0.count <= 11 + pieces && lines[0].0.prefix(11).elementsEqual(long.prefix(11)))
        #expect(Array(lines[1].0) == Array("short".utf8))
        #expect(buffer.restLength == 1_000_000 && buffer.rest.count <= 11)
        // The end of a line cut short is kept too, as it was written.
        var ends = LineBuffer(maxLineBytes: 10)
        for piece in [Array(repeating: UInt8(ascii: "x"), count: 100_000), Array(#", "id": 7}"#.utf8), [UInt8(ascii: "\n")]] {
            ends.append(piece[...])
            while ends.nextLine() != nil {}
        }
        #expect(ends.lastLineLength == 100_010 && ends.lastLineEnd.count == LineBuffer.endBytes)
        #expect(ends.lastLineEnd.suffix(10).elementsEqual(#", "id": 7}"#.utf8))
    }

    @Test func aStreamEndingInANewlineLeavesNothing() {
        let (lines, rest) = split(Array("a\nb\n".utf8), pieces: 3)
        #expect(lines == [Array("a".utf8), Array("b".utf8)])
        #expect(rest.isEmpty)
    }

    /// Blank lines are JSON whitespace only; a byte order mark goes only from the start.
    @Test func blankLinesAndByteOrderMarksAreKnown() {
        #expect(LineBuffer.isBlank(Array(" \t\r".utf8)) && LineBuffer.isBlank([UInt8]()) && LineBuffer.isBlank(Array(" \n ".utf8)))
        #expect(!LineBuffer.isBlank(Array(" {} ".utf8)) && !LineBuffer.isBlank([0x0B]))
        #expect(LineBuffer.droppingByteOrderMark([0xEF, 0xBB, 0xBF, 0x7B][...]) == [0x7B])
        #expect(LineBuffer.droppingByteOrderMark([0x7B, 0xEF, 0xBB, 0xBF][...]) == [0x7B, 0xEF, 0xBB, 0xBF])
        #expect(LineBuffer.droppingByteOrderMark([0xEF, 0xBB][...]) == [0xEF, 0xBB])
    }
}
