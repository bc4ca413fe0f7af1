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
            for (k, cell) in row.enumerated() where k < widths.count { widths[k] = max(widths[k], DisplayWidth.of(cell)) }
        }
        // Swift's own string operations: Foundation's padding and replacing bridge every cell
        // through NSString (1.2 s of the 1.7 s `planj runs` took for 100,000 runs).
        return cells.map { row in
            row.enumerated().map { k, cell in
                k == row.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[k] - DisplayWidth.of(cell)))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `s` on one line (line breaks made spaces), cut to `width` columns with an ellipsis.
    static func clip(_ s: String, _ width: Int) -> String {
        // Bytes first: most cells are short, single-line ASCII.
        let breaks = s.utf8.contains { $0 == 0x0A || $0 == 0x0D || $0 >= 0xC2 }
        if !breaks && s.utf8.count <= width { return s }
        let flat = breaks ? String(s.map { $0.isNewline ? " " : $0 }) : s
        return DisplayWidth.of(flat) <= width ? flat : DisplayWidth.prefix(flat, columns: width - 1) + "…"
    }
}
