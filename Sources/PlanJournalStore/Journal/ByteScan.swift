import PlanJournalCore

/// Searching byte arrays without the generic `Collection` algorithms, which are several times slower.
enum ByteScan {
    /// The position of the first `byte` in `bytes` at or after `start`.
    static func firstIndex(of byte: UInt8, in bytes: [UInt8], from start: Int) -> Int? {
        if byte == UInt8(ascii: "\n") { return CanonicalScan.firstNewline(in: bytes, from: start) }
        let span = bytes.span
        var k = start
        while k < span.count {
            if span[k] == byte { return k }
            k += 1
        }
        return nil
    }
}
