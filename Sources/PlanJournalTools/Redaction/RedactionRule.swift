import Foundation
import PlanJournalCore

/// One redaction: every match of a regular expression in a string is replaced by a template
/// (`$1` names a capture group), or, for a field rule, the whole string value of a field whose
/// name matches.
public struct RedactionRule: Sendable {
    /// What the rule hides, shown in the export's tally (`api-key`, `email`, a user rule's line).
    public let name: String
    let expression: NSRegularExpression
    let template: String
    /// Whether the expression matches field names (the whole value is replaced) rather than text.
    let matchesFieldNames: Bool
    /// Lowercase ASCII literals one of which every match contains: text holding none of them is
    /// not searched (`nil`: always searched).
    let triggers: [[UInt8]]?
    /// What must hold where a trigger occurs for the expression to be searched.
    let check: TriggerCheck

    /// A rule replacing matches of `pattern` (ICU syntax) with `template`.
    /// - Throws: `.usage` when `pattern` is not a regular expression.
    public init(name: String, pattern: String, template: String, matchesFieldNames: Bool = false) throws(JournalError) {
        try self.init(name: name, pattern: pattern, template: template, matchesFieldNames: matchesFieldNames, triggers: nil)
    }

    init(
        name: String, pattern: String, template: String, matchesFieldNames: Bool, triggers: [String]?,
        check: TriggerCheck = .none
    ) throws(JournalError) {
        do {
            expression = try NSRegularExpression(pattern: pattern)
        } catch {
            throw JournalError(.usage, "redaction rule \(name): not a regular expression: \(pattern)")
        }
        self.name = name
        self.template = template
        self.matchesFieldNames = matchesFieldNames
        self.triggers = triggers?.map { Array($0.lowercased().utf8) }
        self.check = check
    }

    /// `text` with every match replaced, and how many there were.
    func apply(_ text: String) -> (String, Int) {
        let range = NSRange(text.startIndex..., in: text)
        let count = expression.numberOfMatches(in: text, range: range)
        guard count > 0 else { return (text, 0) }
        return (expression.stringByReplacingMatches(in: text, range: range, withTemplate: template), count)
    }

    /// Whether a field of this name holds a secret whatever its value.
    func hides(field name: String) -> Bool {
        matchesFieldNames && expression.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }
}
