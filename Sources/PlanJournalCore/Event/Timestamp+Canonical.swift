extension Timestamp {
    /// Reads the canonical form `YYYY-MM-DDTHH:MM:SS.ffffffZ` at `range`; `nil` for any other
    /// form (which ``init(rfc3339:)`` then reads).
    init?(canonical s: Span<UInt8>, _ range: Range<Int>) {
        guard range.count == 27 else { return nil }
        let b = range.lowerBound
        guard s[b + 4] == UInt8(ascii: "-"), s[b + 7] == UInt8(ascii: "-"), s[b + 10] == UInt8(ascii: "T"),
            s[b + 13] == UInt8(ascii: ":"), s[b + 16] == UInt8(ascii: ":"), s[b + 19] == UInt8(ascii: "."),
            s[b + 26] == UInt8(ascii: "Z")
        else { return nil }
        guard let y = Self.digits(s, b, 4), let mo = Self.digits(s, b + 5, 2), let d = Self.digits(s, b + 8, 2),
            let h = Self.digits(s, b + 11, 2), let mi = Self.digits(s, b + 14, 2), let sec = Self.digits(s, b + 17, 2),
            let micros = Self.digits(s, b + 20, 6), (1...12).contains(mo), d >= 1,
            d <= Self.daysIn(month: mo, year: y), h <= 23, mi <= 59, sec <= 59
        else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        self.init(microseconds: (days * 86_400 + h * 3600 + mi * 60 + sec) * 1_000_000 + micros)
    }

    /// The decimal number of the `width` digits at `at`, if they are all digits.
    @inline(__always)
    private static func digits(_ s: Span<UInt8>, _ at: Int, _ width: Int) -> Int64? {
        var v: Int64 = 0
        var k = at
        while k < at + width {
            let d = s[k] &- UInt8(ascii: "0")
            guard d <= 9 else { return nil }
            v = v &* 10 &+ Int64(d)
            k += 1
        }
        return v
    }
}
