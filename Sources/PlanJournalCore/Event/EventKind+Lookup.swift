extension EventKind {
    /// Each kind with its UTF-8 name.
    private static let names: [(EventKind, [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// The known kind whose name is the bytes at `range` (no escapes), if any.
    static func lookup(_ s: Span<UInt8>, _ range: Range<Int>) -> EventKind? {
        for (kind, name) in names where name.count == range.count {
            var k = 0
            var same = true
            for p in range {
                if s[p] != name[k] {
                    same = false
                    break
                }
                k += 1
            }
            if same { return kind }
        }
        return nil
    }
}
