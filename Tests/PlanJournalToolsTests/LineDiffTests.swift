import Testing

@testable import PlanJournalTools

@Suite struct LineDiffTests {
    /// Outputs with CRLF line ends (Windows tools, HTTP bodies) differ line by line, not as one
    /// line: `\r\n` is one Swift `Character`, which a split on `"\n"` never meets.
    @Test func crlfTextsDifferLineByLine() {
        let diff = LineDiff.lines("line1\r\nline2\r\nline3\r\n", "line1\r\nCHANGED\r\nline3\r\n")
        #expect(diff == ["  line1", "- line2", "+ CHANGED", "  line3", "  "])
    }
}
