import Testing

@testable import PlanJournalRuntime

/// Tools as OpenAI function names: characters outside `[a-zA-Z0-9_-]` become `_`, and tools whose
/// names come out alike stay apart (they crashed the executor).
@Suite struct OpenAIFunctionNameTests {
    @Test func toolsWhoseNamesComeOutAlikeStayApart() {
        let names = OpenAIExecutor.functionNames(["web.search", "web_search", "web search", "fetch"])
        #expect(names == ["web_search": "web.search", "web_search_2": "web_search", "web_search_3": "web search", "fetch": "fetch"])
    }
}
