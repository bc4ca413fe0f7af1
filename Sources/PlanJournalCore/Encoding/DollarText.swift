import Foundation

extension Double {
    /// A cost in US dollars for people: `$0.0123` (four decimals) up to a trillion, then in
    /// exponent form (`$1.79769e+308`) rather than hundreds of digits.
    package var dollarText: String {
        abs(self) < 1e12 || !isFinite ? String(format: "$%.4f", self) : String(format: "$%.6g", self)
    }
}
