import PlanJournalCore

extension Collection<JournalEvent> {
    /// The bytes of these events as JSON Lines, each line's newline included.
    var jsonLinesByteCount: Int {
        var bytes = 0
        for e in self { bytes += e.bytes.count + 1 }
        return bytes
    }
}
