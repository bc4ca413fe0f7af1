import Foundation
import PlanJournalCore

/// The key encoding of planj's JSON output: Swift's property names in snake_case (`startedAt`
/// as `started_at`), as Foundation's `.convertToSnakeCase` writes them, but the keys of an
/// agent's own JSON (a step's `args`, an ``JSONValue`` object anywhere) as they are: that
/// strategy would turn `maxResults` into `max_results`.
enum SnakeCaseKeys {
    /// The key to write for the last key of `path`.
    static func convert(_ path: [any CodingKey]) -> any CodingKey {
        guard let key = path.last else { return JSONValue.MemberKey(stringValue: "") }
        if key is JSONValue.MemberKey || key.intValue != nil { return key }
        return JSONValue.MemberKey(stringValue: snakeCase(key.stringValue))
    }

    /// `name` in snake_case, word boundaries as Foundation's `.convertToSnakeCase` finds them
    /// (`costUSD` is `cost_usd`, `lastObservationOK` is `last_observation_ok`, `URLValue` is
    /// `url_value`).
    static func snakeCase(_ name: String) -> String {
        let chars = Array(name)
        guard chars.count > 1 else { return name.lowercased() }
        var words: [String] = []
        var wordStart = 0
        var search = 1
        while let upper = (search..<chars.count).first(where: { chars[$0].isUppercase }) {
            words.append(String(chars[wordStart..<upper]))
            guard let lower = (upper..<chars.count).first(where: { chars[$0].isLowercase }) else {
                wordStart = upper
                search = chars.count
                break
            }
            if lower == upper + 1 {
                wordStart = upper
            } else {
                words.append(String(chars[upper..<(lower - 1)]))
                wordStart = lower - 1
            }
            search = lower + 1
        }
        words.append(String(chars[wordStart..<chars.count]))
        return words.map { $0.lowercased() }.joined(separator: "_")
    }
}
