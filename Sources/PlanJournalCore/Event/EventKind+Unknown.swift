extension EventKind {
    /// Whether `kind` is one this version does not know and is not an extension kind (`x.*`): a
    /// kind of a newer version of the contract, or a misspelling (`step.complete`,
    /// `step_completed`). Such events are valid and stored as written, but plan state does not
    /// read them, so ingest, append and audit point them out.
    public static func isUnknown(_ kind: String) -> Bool {
        EventKind(rawValue: kind) == nil && !kind.hasPrefix("x.")
    }

    /// The known kind `kind` most likely misspells: the same but for case and separators
    /// (`Step_Completed`), or at most two letters added, dropped or changed (`step.complete`,
    /// `plan.proposd`). `nil` when none is that close, or two are.
    public static func suggestion(for kind: String) -> EventKind? {
        let folded = Self.folded(kind)
        if let same = allCases.first(where: { Self.folded($0.rawValue) == folded }) { return same }
        let near = allCases.filter { Self.distance(folded, Self.folded($0.rawValue), atMost: 2) }
        return near.count == 1 ? near[0] : nil
    }

    /// `kind` in lower case with `_`, `-`, `/`, `:` and spaces read as `.`.
    private static func folded(_ kind: String) -> [Character] {
        kind.lowercased().map { "_-/: ".contains($0) ? "." : $0 }
    }

    /// Whether the edit distance between `a` and `b` is at most `limit`.
    private static func distance(_ a: [Character], _ b: [Character], atMost limit: Int) -> Bool {
        guard abs(a.count - b.count) <= limit, !a.isEmpty, !b.isEmpty else { return false }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            guard row.min()! <= limit else { return false }
            previous = row
        }
        return previous[b.count] <= limit
    }

    /// One sentence on an unknown kind, for notes: what it may misspell and what happens to it.
    public static func unknownKindNote(_ kind: String) -> String {
        let hint = suggestion(for: kind).map { " (did you mean \($0.rawValue)?)" } ?? ""
        return "'\(kind)' is not a kind this version of planj knows\(hint): such events are kept as written, "
            + "but plan state does not read them; name kinds of your own x.something"
    }
}
