/// The notification every PostgreSQL write of a run's head sends at commit (`NOTIFY`), which live
/// subscriptions wait for (`LISTEN`, ``PGListener``) instead of polling the journal.
///
/// The payload is the run's new head seq, a space, then the run id (`"42 run-7"`). PostgreSQL
/// delivers it only if the transaction commits, and to every session of the same database that
/// listens on ``channel``.
enum PGNotifications {
    /// The channel, per database.
    static let channel = "planjournal_events"

    /// The SQL expression that sends the notification, given the SQL expressions of the head seq
    /// and the run id.
    static func notifySQL(seq: String, run: String) -> String {
        "pg_notify('\(channel)', \(seq) || ' ' || \(run))"
    }

    /// The run id a payload names, or `nil` for a payload this planj did not send.
    static func run(inPayload payload: String) -> String? {
        guard let space = payload.firstIndex(of: " "), Int64(payload[..<space]) != nil else { return nil }
        return String(payload[payload.index(after: space)...])
    }
}
