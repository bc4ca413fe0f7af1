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
    /// A queue of its own (a serial queue gets a thread even when work such as ``ParallelWork``
    /// holds every thread of the global pool: on that pool, the signal waited for the work to end).
    private static let queue = DispatchQueue(label: "planj.interrupt")

    static func during<T>(_ message: String?, _ body: () async throws -> T) async rethrows -> T {
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let removed = OutputPath.removeUnfinished()
                var text = message ?? ""
                if !removed.isEmpty {
                    let files = removed.map(\.shellWord).joined(separator: ", ")
                    text += text.isEmpty ? "unfinished, so removed: \(files)" : " Unfinished, so removed: \(files)."
                }
                if !text.isEmpty { say(text, signal: number) }
                // The status a shell gives a process the signal ended (the source still holds the
                // signal, so it cannot be raised again).
                _exit(128 + number)
            }
            source.resume()
            return source
        }
        defer {
            for (source, number) in zip(sources, [SIGINT, SIGTERM]) {
                source.cancel()
                signal(number, SIG_DFL)
            }
        }
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
