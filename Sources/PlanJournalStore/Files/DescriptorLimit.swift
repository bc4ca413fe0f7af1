import Foundation

/// The number of files planj may have open (`ulimit -n`). SQLite, its WAL and shared memory,
/// the append log, pipes to agent programs and Dispatch's signal and timer descriptors all take
/// one; with too few, Dispatch traps (SIGILL) where planj cannot report it.
package enum DescriptorLimit {
    /// The fewest open files planj starts with.
    package static let minimum: rlim_t = 64

    /// Raises the soft limit to the hard one when it is below ``minimum``.
    /// - Returns: the soft limit, when even the hard limit is below ``minimum``; else `nil`.
    package static func ensure() -> rlim_t? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < minimum else { return nil }
        limit.rlim_cur = min(limit.rlim_max, minimum)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return limit.rlim_cur < minimum ? limit.rlim_cur : nil
    }
}
