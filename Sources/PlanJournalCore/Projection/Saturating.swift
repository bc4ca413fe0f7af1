/// Arithmetic on numbers that come from agents' events (token counts, attempts, latencies): any
/// value the contract's JSON can hold must fold and print, so sums stop at the type's bounds
/// instead of trapping.
extension FixedWidthInteger {
    /// `self + other`, held at `.max` or `.min` where it would overflow.
    @inlinable package func saturatingAdd(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// Adds `other` in place, held at the type's bounds (see ``saturatingAdd(_:)``).
    @inlinable package mutating func addSaturating(_ other: Self) { self = saturatingAdd(other) }
}

extension Int64 {
    /// `value` rounded toward zero and held within `Int64`'s bounds; NaN is 0.
    @inlinable package init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}

extension Double {
    /// `self + other`, held within the finite doubles (sums of costs never become infinite or NaN).
    @inlinable package func saturatingAdd(_ other: Double) -> Double {
        Swift.min(Swift.max(self + other, -.greatestFiniteMagnitude), .greatestFiniteMagnitude)
    }

    /// Adds `other` in place, held within the finite doubles (see ``saturatingAdd(_:)``).
    @inlinable package mutating func addSaturating(_ other: Double) { self = saturatingAdd(other) }
}
