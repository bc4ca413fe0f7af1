import PlanJournalCore
import ArgumentParser
import Foundation
import PlanJournalRuntime

/// The settings of OpenAI-compatible models (`openai:` specs) that `run`, `resume` and `replay`
/// share: headers, the request timeout, the models' prices.
struct OpenAIFlags: ParsableArguments {
    @OptionGroup var http: HTTPFlags

    @Option(
        name: .customLong("request-timeout"),
        help: ArgumentHelp(
            "How long one request to an OpenAI-compatible server may take, reply included (default 120); a request that times out is tried again, 4 times in all.",
            valueName: "seconds"))
    var requestTimeout: Double?

    @Option(
        name: .customLong("price"),
        help: ArgumentHelp(
            "What an openai: model's tokens cost, in US dollars per million input and output tokens, for cost_usd and --budget-usd (repeatable; e.g. gpt-4o-mini=0.15,0.60). Without it, the model's calls cost $0.",
            valueName: "model=in,out"))
    var prices: [String] = []

    /// The settings: `$OPENAI_API_KEY`, the proxy variables, and the options.
    func settings() throws -> OpenAISettings {
        var settings = try http.settings()
        if let requestTimeout { settings.timeout = try Seconds.duration(requestTimeout, flag: "--request-timeout", atMost: Seconds.day) }
        for price in prices {
            // A model's name may hold '=': the price follows the last one.
            guard let eq = price.lastIndex(of: "="), eq != price.startIndex else { throw Self.badPrice(price) }
            let numbers = price[price.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false)
                .map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.count == 2, let input = numbers[0], let output = numbers[1], input >= 0, output >= 0,
                input.isFinite, output.isFinite
            else { throw Self.badPrice(price) }
            settings.prices[String(price[..<eq])] = TokenPrice(input: input, output: output)
        }
        return settings
    }

    private static func badPrice(_ text: String) -> ValidationError {
        ValidationError("--price must be MODEL=IN,OUT (US dollars per million input and output tokens), not '\(text)'")
    }

    /// The warnings to print before a run with a budget: one per `openai:` spec whose model has
    /// no price, since the budget cannot count its calls.
    static func unpricedWarnings(specs: [String?], settings: OpenAISettings, budgetUSD: Double?) -> [String] {
        guard budgetUSD != nil else { return [] }
        var seen: Set<String> = []
        return specs.compactMap { text in
            guard let text, case .openAI(let model, _)? = try? AdapterSpec(parsing: text), settings.price(of: model) == nil,
                seen.insert(model).inserted
            else { return nil }
            return "planj: warning: --budget-usd cannot count the calls of \(AdapterSpec.redacting(text)): "
                + "its price is unknown (give --price \(model)=IN,OUT, US dollars per million input and output tokens)"
        }
    }
}

extension OpenAISettings {
    /// These settings with the recorded `prices` of models they give none for (a resume's
    /// `--price` wins over the run's).
    func adding(_ recorded: [String: TokenPrice]) -> OpenAISettings {
        var settings = self
        settings.prices.merge(recorded) { given, _ in given }
        return settings
    }
}
