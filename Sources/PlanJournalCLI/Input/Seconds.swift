import ArgumentParser
import PlanJournalCore

/// A time limit given in seconds on the command line (`--timeout`, `--request-timeout`,
/// `--otlp-timeout`): checked one way, so `0`, `-1`, `nan` and `inf` are refused with the flag's
/// name rather than timing out at once or never.
enum Seconds {
    /// A day: the most a request to a server may be given.
    static let day: Double = 86_400

    /// `value` seconds as a duration, rounded up to the millisecond.
    /// - Throws: a `ValidationError` naming `flag` unless 0 < `value` <= `most`.
    static func duration(_ value: Double, flag: String, atMost most: Double = .greatestFiniteMagnitude) throws -> Duration {
        guard value > 0, value <= most else {
            let bound = most.isFinite && most < .greatestFiniteMagnitude ? " and at most \(Int(most))" : ""
            let given = value.isFinite && value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
            throw ValidationError("\(flag) must be a number of seconds above 0\(bound), not \(given)")
        }
        return .milliseconds(Int64(saturating: (value * 1000).rounded(.up)))
    }
}
