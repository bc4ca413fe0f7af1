import Dispatch
import Foundation
import Synchronization

/// What an interrupted command leaves, said before planj ends on SIGINT or SIGTERM with the
/// status the signal would have given it (130 or 143, at once, as the signal would): a command that commits at the end of its input, stopped before it, would
/// otherwise end silently with nothing written.
enum InterruptNotice {
    /// Runs `body` with `message` said on SIGINT or SIGTERM (with `--json`, as the error
    /// `{"error":{"code":"interrupted",…}}`).
    static func during<T>(_ message: String, _ body: () async throws -> T) async rethrows -> T {
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if Output.errorsAsJSON.load(ordering: .relaxed) {
                    let prefix = "planj: interrupted: "
                    let text = message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
                    let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                    Output.writeErrorJSON(ErrorJSON(code: "interrupted", message: "\(name): " + text, exitStatus: 128 + number))
                } else {
                    Output.error(message)
                }
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
}
