import Foundation

/// Who is in a process group, read from `/proc` (Linux).
enum ProcessGroup {
    /// Whether a process other than `leader` that has not ended (running, sleeping or stopped:
    /// not a zombie) is in the process group `group`; `nil` when `/proc` cannot be read.
    static func hasMembers(_ group: pid_t, besides leader: pid_t) -> Bool? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = pid_t(entry), pid != leader, let stat = stat(of: pid) else { continue }
            if stat.group == group && stat.state != "Z" && stat.state != "X" { return true }
        }
        return false
    }

    /// The state letter and process group of `pid`, from `/proc/PID/stat`: `pid (name) S ppid
    /// pgrp …`, where the name may hold spaces and parentheses (hence the last `)`).
    private static func stat(of pid: pid_t) -> (state: Character, group: pid_t)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let group = pid_t(fields[2]) else { return nil }
        return (state, group)
    }
}
