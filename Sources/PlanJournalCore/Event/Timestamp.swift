/// An instant as integer microseconds since the Unix epoch, UTC.
///
/// The wire form is RFC 3339 UTC with six fractional digits (`2026-11-24T10:00:00.123456Z`).
/// On ingest, any RFC 3339 time (other offsets, 0-9 fractional digits: digits past microseconds
/// are dropped) and integer microseconds are accepted and normalized to that form.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microseconds: Int64

    /// Creates a timestamp from microseconds since the epoch.
    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// The normalized RFC 3339 form, e.g. `2026-11-24T10:00:00.123456Z`.
    public var description: String { String(decoding: rfc3339Bytes, as: UTF8.self) }

    /// Years the normalized form can write (four digits).
    static let microsRange: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    /// The normalized RFC 3339 form as UTF-8.
    public var rfc3339Bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        appendRFC3339(to: &out)
        return out
    }

    /// Appends the normalized RFC 3339 form (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, 27 bytes) to `out`.
    func appendRFC3339(to out: inout [UInt8]) {
        let us = microseconds
        var secs = us / 1_000_000
        var frac = us % 1_000_000
        if frac < 0 {
            frac += 1_000_000
            secs -= 1
        }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = Self.civil(fromDays: days)
        func put(_ v: Int64, _ width: Int, then separator: UInt8?) {
            let at = out.count
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
            var v = v
            var k = at + width - 1
            while k >= at {
                out[k] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                k -= 1
            }
            if let separator { out.append(separator) }
        }
        put(y, 4, then: UInt8(ascii: "-"))
        put(m, 2, then: UInt8(ascii: "-"))
        put(d, 2, then: UInt8(ascii: "T"))
        put(rem / 3600, 2, then: UInt8(ascii: ":"))
        put(rem / 60 % 60, 2, then: UInt8(ascii: ":"))
        put(rem % 60, 2, then: UInt8(ascii: "."))
        put(frac, 6, then: UInt8(ascii: "Z"))
    }

    /// Parses an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`).
    /// - Returns: `nil` when `text` is not one.
    public init?(rfc3339 text: some Collection<UInt8>) {
        guard let (t, _) = Self.parse(rfc3339: text) else { return nil }
        self = t
    }

    /// Parses an RFC 3339 date-time, and says whether it was rounded: whether it said more than a
    /// ``Timestamp`` keeps (a nonzero digit past the microseconds, or a leap second, kept as
    /// `:59.999999`).
    package static func parse(rfc3339 text: some Collection<UInt8>) -> (Timestamp, rounded: Bool)? {
        let b = Array(text)
        func num(_ at: Int, _ width: Int) -> Int64? {
            guard at + width <= b.count else { return nil }
            var v: Int64 = 0
            for k in at..<(at + width) {
                guard JSONCompactor.isDigit(b[k]) else { return nil }
                v = v * 10 + Int64(b[k] - UInt8(ascii: "0"))
            }
            return v
        }
        guard b.count >= 20,
            let y = num(0, 4), b[4] == UInt8(ascii: "-"), let mo = num(5, 2), b[7] == UInt8(ascii: "-"),
            let d = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let h = num(11, 2), b[13] == UInt8(ascii: ":"), let mi = num(14, 2), b[16] == UInt8(ascii: ":"),
            let s = num(17, 2)
        else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= Self.daysIn(month: mo, year: y), h <= 23, mi <= 59, s <= 60
        else { return nil }
        var i = 19
        var micros: Int64 = 0
        var rounded = false
        if i < b.count && b[i] == UInt8(ascii: ".") {
            // RFC 3339 allows any number of digits; a Timestamp keeps six.
            i += 1
            var digits = 0
            while i < b.count && JSONCompactor.isDigit(b[i]) {
                if digits < 6 {
                    micros = micros * 10 + Int64(b[i] - UInt8(ascii: "0"))
                } else if b[i] != UInt8(ascii: "0") {
                    rounded = true
                }
                digits += 1
                i += 1
            }
            guard digits >= 1 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        if s == 60 {
            // A leap second has no place on a scale without them: it is kept as the last
            // microsecond of the minute, after every other time in it.
            rounded = true
            micros = 999_999
        }
        guard i < b.count else { return nil }
        var offsetSeconds: Int64 = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2),
                oh <= 23, om <= 59
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        let seconds = days * 86_400 + h * 3600 + mi * 60 + min(s, 59) - offsetSeconds
        return (Timestamp(microseconds: seconds * 1_000_000 + micros), rounded)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension Timestamp: Codable {
    /// Decodes the RFC 3339 form or integer microseconds.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let micros = try? c.decode(Int64.self) {
            self.init(microseconds: micros)
        } else if let t = Timestamp(rfc3339: Array(try c.decode(String.self).utf8)) {
            self = t
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time")
        }
    }

    /// Encodes the normalized RFC 3339 form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
