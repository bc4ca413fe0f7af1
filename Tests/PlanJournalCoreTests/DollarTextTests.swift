import PlanJournalCore
import Testing

/// Costs as people read them.
@Suite struct DollarTextTests {
    /// Four decimals for every cost a run can really have; a sum that overflowed all sense (a
    /// bogus `cost_usd` of 1e308) in exponent form, not 309 digits.
    @Test func costsShowFourDecimalsAndHugeOnesAnExponent() {
        #expect(0.0123.dollarText == "$0.0123")
        #expect((-4.5).dollarText == "$-4.5000")
        #expect(999_999_999_999.0.dollarText == "$999999999999.0000")
        #expect(1.7976931348623157e308.dollarText == "$1.79769e+308")
        #expect(Double.infinity.dollarText == "$inf")
    }
}
