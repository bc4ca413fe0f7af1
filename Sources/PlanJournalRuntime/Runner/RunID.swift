import Foundation

/// Run ids: ULIDs (time-ordered, 26 Crockford base-32 characters).
public enum RunID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new ULID for the current time.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        // A clock set before 1970 (or past what a ULID holds) gives the nearest time one can hold.
        let milliseconds = (Date().timeIntervalSince1970 * 1000).rounded(.down)
        return make(milliseconds: UInt64(min(max(milliseconds, 0), Double(1 << 48 - 1))), using: &generator)
    }

    /// A ULID for `milliseconds` since the epoch with randomness from `generator`.
    public static func make(milliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> String {
        var chars: [UInt8] = []
        chars.reserveCapacity(26)
        for k in stride(from: 45, through: 0, by: -5) {
            chars.append(alphabet[Int((milliseconds >> UInt64(k)) & 31)])
        }
        for _ in 0..<16 { chars.append(alphabet[Int(generator.next() & 31)]) }
        return String(decoding: chars, as: UTF8.self)
    }
}
