import Foundation

/// A plain-text table with left-aligned columns, for terminal output.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    /// The table as lines; cells wider than `maxWidth` are cut with an ellipsis.
    func render(maxWidth: Int = 60) -> String {
        let cells = ([header] + rows).map { $0.map { Self.clip($0, maxWidth) } }
        var widths = [Int](repeating: 0, count: header.count)
        for row in cells {
            for (k, cell) in row.enumerated() where k < widths.count { widths[k] = max(widths[k], cell.count) }
        }
        return cells.map { row in
            row.enumerated().map { k, cell in
                k == row.count - 1 ? cell : cell.padding(toLength: widths[k], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func clip(_ s: String, _ width: Int) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }
}
