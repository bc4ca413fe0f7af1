import Foundation
import PlanJournalCore
import Testing

@testable import PlanJournalCLI

/// planj's JSON keys are Foundation's snake_case of the property names, and an agent's own keys
/// (a step's `args`) are written as the agent wrote them.
@Suite struct SnakeCaseKeysTests {
    private struct Names: Encodable {
        let names: [String]
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for n in names { try c.encode(n, forKey: Key(stringValue: n)) }
        }
    }

    @Test func propertyNamesConvertAsFoundationConvertsThem() throws {
        let names = [
            "costUSD", "lastObservationOK", "startedAt", "headHash", "URLValue", "myURLProperty", "a", "ab", "aB", "Ab",
            "already_snake", "x", "stepID", "planVersionsB", "cost_usd_a", "HTTPRequestID2", "tokens2Total", "",
        ]
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        let expected = try JSONSerialization.jsonObject(with: foundation.encode(Names(names: names))) as? [String: String]
        for (converted, original) in try #require(expected) {
            #expect(SnakeCaseKeys.snakeCase(original) == converted, "\(original)")
        }
    }

    @Test func anAgentsKeysAreWrittenAsTheyAre() throws {
        let args = try JSONValue(
            parsing: #"{"maxResults":5,"X-Api-Key":"k","nested":{"camelCase":[1,2.5,1e400,18446744073709551615,123456789012345678901234,0.1]}}"#)
        let step = PlanStep(id: "s", args: args)
        let text = String(decoding: try Output.jsonEncoder().encode(step), as: UTF8.self)
        #expect(text.contains(#""maxResults":5"#) && text.contains(#""X-Api-Key":"k""#))
        #expect(text.contains(#""camelCase":[1,2.5,"1e400",18446744073709551615,123456789012345678901234,0.1]"#), "\(text)")
        #expect(text.contains(#""depends_on":[]"#) && text.contains(#""requires_approval":false"#))
        // A library user's own encoder codes a JSONValue as its text, as before: saved states decode.
        let plain = String(decoding: try JSONEncoder().encode(step), as: UTF8.self)
        #expect(plain.contains(#""args":"{\"maxResults\":5"#), "\(plain)")
        #expect(try JSONDecoder().decode(PlanStep.self, from: Data(plain.utf8)) == step)
    }
}
