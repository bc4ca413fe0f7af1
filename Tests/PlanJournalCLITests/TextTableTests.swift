import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalCLI

@Suite struct TextTableTests {
    /// Cut by the columns a terminal draws: an emoji or an East Asian wide character takes two.
    @Test func cellsAreOneLineAndCutByColumns() {
        #expect(TextTable.clip("plain", 10) == "plain")
        #expect(TextTable.clip("two\nlines\r\nthree", 40) == "two lines three")
        #expect(TextTable.clip("abcdefghij", 5) == "abcd…")
        #expect(TextTable.clip("ünïcode ✓ 🧮🧮🧮", 16) == "ünïcode ✓ 🧮🧮🧮")
        #expect(TextTable.clip("ünïcode ✓ 🧮🧮🧮", 13) == "ünïcode ✓ 🧮…")
        #expect(TextTable.clip("ünïcode ✓ 🧮🧮🧮", 12) == "ünïcode ✓ …")
        #expect(DisplayWidth.of("計画の手順") == 10 && DisplayWidth.of("e\u{301}") == 1 && DisplayWidth.of("❤️") == 2)
    }

    @Test func columnsAlignWithWideCharacters() {
        var table = TextTable(header: ["RUN", "GOAL"])
        table.rows = [["run-🚀-ü", "a"], ["計画", "b"], ["r1", "c"]]
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines == ["RUN       GOAL", "run-🚀-ü  a", "計画      b", "r1        c"])
    }

    @Test func columnsAlignByCharactersNotBytes() {
        var table = TextTable(header: ["RUN", "GOAL"])
        table.rows = [["ünïcode ✓", "a"], ["r1", "b"]]
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines == ["RUN        GOAL", "ünïcode ✓  a", "r1         b"])
    }

    @Test func aPlanVersionLineListsAtMostADozenSteps() {
        #expect(PlanStateText.list(["a", "b"]) == "a, b")
        let ids = (0..<30).map { "s\($0)" }
        #expect(PlanStateText.list(Array(ids.prefix(12))) == ids.prefix(12).joined(separator: ", "))
        #expect(PlanStateText.list(ids) == ids.prefix(12).joined(separator: ", ") + " and 18 more")
    }

    @Test func controlCharactersFromRunsAreMadeHarmless() {
        #expect(TerminalText.safe("plain\ttext\nnext ünï ✓") == "plain\ttext\nnext ünï ✓")
        #expect(TerminalText.safe("a\u{1B}[2Jb\u{07}c\rd\u{7F}e\u{9B}f\u{00}") == "a\u{FFFD}[2Jb\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}")
        #expect(TerminalText.safe("\u{C2}\u{A0}nbsp \u{0100}") == "\u{C2}\u{A0}nbsp \u{0100}")
        // Bidirectional overrides and isolates, which reorder what follows them; quotes, ellipses
        // and other punctuation encoded alike (E2 80 xx) stay.
        #expect(TerminalText.safe("abc\u{202E}gnp.exe \u{2066}x\u{2069}") == "abc\u{FFFD}gnp.exe \u{FFFD}x\u{FFFD}")
        #expect(TerminalText.safe("it\u{2019}s\u{2026} \u{2014} \u{2065}") == "it\u{2019}s\u{2026} \u{2014} \u{2065}")
    }

    /// A chain of 30,000 steps (each depending on the one before) is drawn without recursion,
    /// indented at most `PlanTree.maxDepth` levels.
    @Test func aDeepChainIsDrawnWithItsIndentationCapped() throws {
        var b = RunBuilder(run: "deep")
        try b.add("run.started", #"{"goal":"g"}"#)
        let steps = (0..<30_000).map { #"{"id":"s\#($0)"\#($0 > 0 ? #","depends_on":["s\#($0 - 1)"]"# : "")}"# }
        try b.add("plan.proposed", #"{"version":1,"steps":[\#(steps.joined(separator: ","))]}"#)
        let tree = PlanTree.render(PlanProjection().fold(run: "deep", b.events)).split(separator: "\n")
        #expect(tree.count == 2 + 30_000)
        #expect(tree.last?.hasSuffix("· s29999 [pending]") == true)
        let widest = tree.dropFirst(2).map { $0.prefix { $0 == " " || $0 == "│" }.count }.max() ?? 0
        #expect(widest == 3 * PlanTree.maxDepth)
    }
}
