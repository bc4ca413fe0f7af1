import Foundation
import PlanJournalCore
import Synchronization

/// A ``SubprocessChannel`` whose program is started again when a call finds that it has ended
/// (it crashed, or was killed, on an earlier call): one dead agent fails the calls it was
/// answering, not every call after them.
final class RestartingChannel: Sendable {
    private let arguments: [String]
    private let directory: String?
    private let role: String?
    private let current: Mutex<SubprocessChannel>

    init(arguments: [String], directory: String? = nil, role: String? = nil) throws {
        self.arguments = arguments
        self.directory = directory
        self.role = role
        current = Mutex(try SubprocessChannel(arguments: arguments, directory: directory, role: role))
    }

    /// ``SubprocessChannel/call(_:_:)`` on the running program, started again first if it ended.
    func call(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        var tries = 0
        while true {
            do {
                return try await channel().callReportingUnread(method, params)
            } catch let unread as SubprocessChannel.Unread {
                // Sent while the program was ending, and never read by it: sent again, to the
                // program started again. A request it read is never sent twice (it may have acted
                // on it). A program that read others first (one that answers one request and
                // exits, with several calls waiting) is started again as long as that goes on; one
                // that read nothing gets one more try.
                tries += 1
                guard tries < Self.maxResends, unread.programRead || tries == 1 else { throw unread.error }
            }
        }
    }

    /// The most times a request no program read is sent.
    private static let maxResends = 64

    private func channel() throws -> SubprocessChannel {
        try current.withLock { channel in
            // Not only once the channel is closed: a program that has just ended (or closed its
            // output) would fail the call with its old ending.
            guard let ending = channel.finished else { return channel }
            SubprocessChannel.report("\(ending): starting it again")
            // One that closed its output may still run.
            channel.stopInBackground()
            channel = try SubprocessChannel(arguments: arguments, directory: directory, role: role)
            return channel
        }
    }
}
