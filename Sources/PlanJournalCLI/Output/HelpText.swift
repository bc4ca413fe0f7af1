/// Help text written as paragraphs, laid out by the argument parser for the terminal's width.
enum HelpText {
    /// Joins the lines of each paragraph of `text` into one line, so the help wraps them at the
    /// terminal's width instead of at the source's; an indented line (an example, a table row)
    /// and a blank line stay as written.
    static func reflow(_ text: String) -> String {
        var out: [String] = []
        var joining = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let preformatted = line.isEmpty || line.first == " "
            if joining && !preformatted {
                out[out.count - 1] += " " + line
            } else {
                out.append(String(line))
            }
            joining = !preformatted
        }
        return out.joined(separator: "\n")
    }
}
