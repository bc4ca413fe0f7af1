import Foundation
import Testing

@testable import PlanJournalCLI
@testable import PlanJournalTools

/// How `planj diff` prints an output's line diff.
@Suite struct DiffTextTests {
    /// A change deep in a long output is shown, with a few lines around it, not the first 40
    /// unchanged lines.
    @Test func aChangeDeepInALongOutputIsShownWithItsContext() {
        let a = (0..<100).map { "row \($0)" }.joined(separator: "\n")
        let b = a.replacingOccurrences(of: "row 80\n", with: "row eighty\n")
        let shown = DiffText.hunks(LineDiff.lines(a, b))
        #expect(shown == ["  …", "  row 77", "  row 78", "  row 79", "- row 80", "+ row eighty", "  row 81", "  row 82", "  row 83", "  …"])
    }

    /// Past the limit, the rest is counted.
    @Test func aLongDiffSaysHowMuchIsLeft() {
        let a = (0..<200).map { "a \($0)" }.joined(separator: "\n")
        let b = (0..<200).map { "b \($0)" }.joined(separator: "\n")
        let shown = DiffText.hunks(LineDiff.lines(a, b), limit: 60)
        #expect(shown.count == 61 && shown.last == "  … 340 more diff lines (--json has them all)")
    }
}
