import Dispatch
import Foundation
import PlanJournalCore
import PlanJournalStore
import Synchronization

/// What an interrupted command leaves, said before planj ends on SIGINT or SIGTERM with the
/// status the signal would have given it (130 or 143, at once, as the signal would): a command
/// that commits at the end of its input, stopped before it, would otherwise end silently with
/// nothing written. Output files not finished yet (``OutputPath/createTemporary(for:)``) are
/// removed first, and named.
enum InterruptNotice {
    /// Runs `body` with `message` said on SIGINT or SIGTERM (with `--json`, as the error
    /// `{"error":{"code":"interrupted",…}}`); with no `message`, only unfinished files are named.
    static func during<T>(_ message: String?, _ body: () async throws -> T) async rethrows -> T {
        let catcher = SignalCatcher([SIGINT, SIGTERM]) { number in
            let removed = OutputPath.removeUnfinished()
            var text = message ?? ""
            if !removed.isEmpty {
                let files = removed.map(\.shellWord).joined(separator: ", ")
                text += text.isEmpty ? "unfinished, so removed: \(files)" : " Unfinished, so removed: \(files)."
            }
            if !text.isEmpty { say(text, signal: number) }
            // The status a shell gives a process the signal ended.
            _exit(128 + number)
        }
        defer { catcher.stop() }
        return try await body()
    }

    private static func say(_ text: String, signal number: Int32) {
        if Output.errorsAsJSON.load(ordering: .relaxed) {
            let name = number == SIGINT ? "SIGINT" : "SIGTERM"
            Output.writeErrorJSON(ErrorJSON(code: "interrupted", message: "\(name): " + text, exitStatus: 128 + number))
        } else {
            Output.error("planj: interrupted: " + text)
        }
    }
}
