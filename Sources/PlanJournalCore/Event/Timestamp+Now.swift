import Foundation

extension Timestamp {
    /// The current time, to the microsecond.
    public static var now: Timestamp {
        Timestamp(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// Milliseconds from `self` to `later`.
    public func milliseconds(to later: Timestamp) -> Double {
        Double(later.microseconds - microseconds) / 1000
    }
}
