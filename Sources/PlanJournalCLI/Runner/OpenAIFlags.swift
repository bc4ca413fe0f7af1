import ArgumentParser
import Foundation
import PlanJournalRuntime

/// The settings of OpenAI-compatible models (`openai:` specs) that `run`, `resume` and `replay`
/// share: headers, the request timeout.
struct OpenAIFlags: ParsableArguments {
    @OptionGroup var http: HTTPFlags

    @Option(
        name: .customLong("request-timeout"),
        help: ArgumentHelp(
            "How long one request to an OpenAI-compatible server may take, reply included (default 120); a request that times out is tried again, 4 times in all.",
            valueName: "seconds"))
    var requestTimeout: Double?

    /// The settings: `$OPENAI_API_KEY`, the proxy variables, and the options.
    func settings() throws -> OpenAISettings {
        var settings = try http.settings()
        if let requestTimeout {
            guard requestTimeout > 0, requestTimeout.isFinite else {
                throw ValidationError("--request-timeout must be a number of seconds above 0, not \(requestTimeout)")
            }
            settings.timeout = .milliseconds(Int64((requestTimeout * 1000).rounded(.up)))
        }
        return settings
    }
}
