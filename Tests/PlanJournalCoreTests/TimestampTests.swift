import Testing

@testable import PlanJournalCore

@Suite struct TimestampTests {
    private func parse(_ s: String) -> Timestamp? { Timestamp(rfc3339: Array(s.utf8)) }

    @Test func normalizesToMicrosecondsUTC() {
        #expect(parse("2026-11-24T10:00:00.5Z")?.description == "2026-11-24T10:00:00.500000Z")
        #expect(parse("2026-11-24T10:00:00Z")?.description == "2026-11-24T10:00:00.000000Z")
        #expect(parse("2026-11-24T12:00:00.123456789+02:00")?.description == "2026-11-24T10:00:00.123456Z")
        #expect(parse("2024-02-29t23:59:59.000001z")?.description == "2024-02-29T23:59:59.000001Z")
    }

    @Test func saysWhenATimeIsFinerThanMicroseconds() {
        func finer(_ s: String) -> Bool { Timestamp.parse(rfc3339: Array(s.utf8))?.rounded ?? false }
        #expect(finer("2026-11-24T10:00:00.123456789Z"))
        #expect(finer("2026-11-24T10:00:00.0000001+02:00"))
        #expect(finer("2016-12-31T23:59:60Z"))
        #expect(!finer("2026-11-24T10:00:00.123456000Z"))
        #expect(!finer("2026-11-24T10:00:00.123456Z"))
        #expect(!finer("2026-11-24T10:00:00.5Z"))
        #expect(!finer("2026-11-24T10:00:00Z"))
        #expect(!finer("2026-11-24T12:00:00+02:00"))
    }

    /// RFC 3339 allows any number of fraction digits; a leap second is kept as the minute's last
    /// microsecond, after every other time in it (it used to become `:59`, one second early).
    @Test func takesAnyFractionAndLeapSeconds() {
        #expect(parse("2026-11-24T10:00:00.12345678901234567890Z")?.description == "2026-11-24T10:00:00.123456Z")
        #expect(parse("2016-12-31T23:59:60Z")?.description == "2016-12-31T23:59:59.999999Z")
        #expect(parse("2016-12-31T23:59:60.5Z")?.description == "2016-12-31T23:59:59.999999Z")
        #expect(parse("2016-12-31T23:59:59.9Z")! < parse("2016-12-31T23:59:60Z")!)
    }

    @Test func integerMicrosecondsMatchTheStringForm() {
        #expect(Timestamp(microseconds: 1_795_514_400_000_000).description == "2026-11-24T10:00:00.000000Z")
        #expect(parse("2026-11-24T10:00:00Z")?.microseconds == 1_795_514_400_000_000)
        #expect(Timestamp(microseconds: -1).description == "1969-12-31T23:59:59.999999Z")
    }

    @Test(arguments: [
        "yesterday", "2026-11-24", "2026-11-24T10:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-24T25:00:00Z", "2026-11-24T10:00:00.Z", "2026-11-24T10:00:00Zjunk", "2026-11-24T10:00:00.Z",
    ])
    func rejectsWhatIsNotRFC3339(_ text: String) {
        #expect(parse(text) == nil)
    }

    @Test func roundTripsAcrossCenturies() {
        for us: Int64 in [0, 951_782_400_000_000, 4_102_444_800_123_456, 253_402_300_799_999_999] {
            let t = Timestamp(microseconds: us)
            #expect(parse(t.description) == t)
        }
    }
}
