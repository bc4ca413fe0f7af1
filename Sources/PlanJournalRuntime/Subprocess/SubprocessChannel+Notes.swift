import Foundation
import Synchronization

/// Notes about agent programs (a line of output that is not a reply, a program started again),
/// and where they go.
extension SubprocessChannel {
    /// Reports `message` about the program of `commandLine`.
    static func notify(_ commandLine: String, _ message: String) {
        report("\(commandLine): \(message)")
    }

    /// Where notes about agent programs go (a line of output that is not a reply, a program
    /// started again): by default standard error, as `planj: NOTE`.
    private static let notes = Mutex<@Sendable (String) -> Void>({ note in
        try? FileHandle.standardError.write(contentsOf: Data("planj: \(note)\n".utf8))
    })

    /// Sends notes about agent programs (see ``report(_:)``) to `handler` instead of standard
    /// error: a library user's logger, say.
    public static func reportNotes(to handler: @escaping @Sendable (String) -> Void) {
        notes.withLock { $0 = handler }
    }

    /// Passes a note about an agent program to the handler of ``reportNotes(to:)``.
    package static func report(_ note: String) {
        let handler = notes.withLock { $0 }
        handler(note)
    }
}
