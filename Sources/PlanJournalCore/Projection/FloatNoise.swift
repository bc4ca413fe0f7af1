extension Double {
    /// This amount as it prints without binary float noise: a sum of costs such as
    /// `0.010823000000000001` becomes `0.010823`. It keeps twelve significant digits, more than
    /// any cost or duration an agent records carries; a value too large or too small for that,
    /// or not finite, is returned as it is.
    ///
    /// For what planj prints and stores in its read model, never for what it folds: sums are
    /// kept exact so that snapshots equal the fold of their events.
    package var withoutFloatNoise: Double { rounded(toDigitsOf: self) }

    /// `self - other` without float noise: rounded at the twelfth significant digit of the
    /// larger of the two, where their own noise is (`0.730091 - 0.73` is `0.000091`, where the
    /// difference's own twelve digits would keep `9.10000000001e-05`).
    package func minusWithoutFloatNoise(_ other: Double) -> Double {
        (self - other).rounded(toDigitsOf: Swift.max(abs(self), abs(other)))
    }

    /// This value rounded to the twelfth significant digit of `reference`.
    private func rounded(toDigitsOf reference: Double) -> Double {
        let magnitude = abs(reference)
        guard isFinite, magnitude >= 1e-10, magnitude < 1e12 else { return self }
        // The decimal exponent of the reference's leading digit, in -10...11.
        var exponent = 0
        if magnitude >= 1 {
            while exponent < 11 && Self.powersOfTen[exponent + 1] <= magnitude { exponent += 1 }
        } else {
            exponent = -1
            while exponent > -10 && magnitude * Self.powersOfTen[-exponent] < 1 { exponent -= 1 }
        }
        // Dividing a whole number by an exact power of ten gives the double nearest the decimal.
        let scale = Self.powersOfTen[11 - exponent]
        return (self * scale).rounded() / scale
    }

    /// 1e0 through 1e22, each exact in a double.
    private static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { x, _ in x * 10 } }
}
