import Foundation

/// The person behind `--as` of commands a human runs (approve, cancel), as their events record
/// them: the name given, else `$USER`, else `cli`.
enum HumanActor {
    static func name(_ given: String?) -> String {
        given ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
    }
}
