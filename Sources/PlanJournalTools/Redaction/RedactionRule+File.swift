import Foundation
import PlanJournalCore

extension RedactionRule {
    /// The rules of a `--redact-rules` file: one per line, `PATTERN => REPLACEMENT` (ICU regular
    /// expression; `$1` in the replacement names a capture group), or a bare `PATTERN` replaced by
    /// `[REDACTED]`. Blank lines and lines starting with `#` are skipped.
    ///
    ///     # internal host names
    ///     \b[a-z0-9-]+\.corp\.example\.com\b => [host]
    ///     (customer_id=)\d+ => $1[id]
    ///
    /// - Throws: `.usage` naming the file and line of a rule that is not a regular expression,
    ///   or when the file cannot be read.
    public static func load(file path: String) throws(JournalError) -> [RedactionRule] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JournalError(.usage, "cannot read the redaction rules", context: .init(file: path))
        }
        var rules: [RedactionRule] = []
        for (k, raw) in String(decoding: data, as: UTF8.self).lines.enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            guard !line.allSatisfy(\.isWhitespace), !line.hasPrefix("#") else { continue }
            let parts = line.components(separatedBy: " => ")
            let pattern = parts.count > 1 ? parts.dropLast().joined(separator: " => ") : String(line)
            let template = parts.count > 1 ? parts.last! : "[REDACTED]"
            do {
                rules.append(try RedactionRule(name: "\((path as NSString).lastPathComponent):\(k + 1)", pattern: pattern, template: template))
            } catch {
                throw JournalError(.usage, "not a regular expression: \(pattern)", context: .init(file: path, line: k + 1))
            }
        }
        return rules
    }
}
