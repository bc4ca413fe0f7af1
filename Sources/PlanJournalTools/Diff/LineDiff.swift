import PlanJournalCore
/// A line diff of two texts (longest common subsequence): unchanged lines prefixed `  `, removed
/// `- `, added `+ `.
enum LineDiff {
    /// Texts longer than this many lines on either side are diffed as a whole replacement.
    static let maxLines = 2_000

    static func lines(_ a: String, _ b: String) -> [String] {
        let x = a.lines.map(String.init)
        let y = b.lines.map(String.init)
        guard x.count <= maxLines && y.count <= maxLines else { return x.map { "- " + $0 } + y.map { "+ " + $0 } }
        var table = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                table[i][j] = x[i] == y[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0
        var j = 0
        while i < x.count || j < y.count {
            if i < x.count && j < y.count && x[i] == y[j] {
                out.append("  " + x[i])
                i += 1
                j += 1
            } else if i < x.count && (j == y.count || table[i + 1][j] >= table[i][j + 1]) {
                out.append("- " + x[i])
                i += 1
            } else {
                out.append("+ " + y[j])
                j += 1
            }
        }
        return out
    }
}
