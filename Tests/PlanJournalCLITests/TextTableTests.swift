import Testing

@testable import PlanJournalCLI

@Suite struct TextTableTests {
    @Test func cellsAreOneLineAndCutByCharacters() {
        #expect(TextTable.clip("plain", 10) == "plain")
        #expect(TextTable.clip("two\nlines\r\nthree", 40) == "two lines three")
        #expect(TextTable.clip("abcdefghij", 5) == "abcd…")
        #expect(TextTable.clip("ünïcode ✓ 🧮🧮🧮", 13) == "ünïcode ✓ 🧮🧮🧮")
        #expect(TextTable.clip("ünïcode ✓ 🧮🧮🧮", 12) == "ünïcode ✓ 🧮…")
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
}
