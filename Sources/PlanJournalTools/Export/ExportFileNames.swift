import Foundation
import PlanJournalCore
import PlanJournalStore

/// The names runs get in an export of many (one file per run): safe on every file system, and
/// never the same for two runs, even when redaction makes their ids alike.
package enum ExportFileNames {
    /// A file name for a run id: safe characters kept, others replaced, and a hash of the id
    /// (or of `identity`) added when anything was replaced, so two ids never share a file.
    package static func fileName(_ run: String, identity: String? = nil) -> String {
        let safe = String(run.unicodeScalars.map { s in
            s.isASCII && (CharacterSet.alphanumerics.contains(s) || "-_.".unicodeScalars.contains(s)) ? Character(s) : "_"
        })
        guard safe != run || run.hasPrefix(".") || identity != nil else { return run }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in (identity ?? run).utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return safe + "-" + String(hash, radix: 16)
    }

    /// The file names of `runs` in an export: each from its id as the export shows it
    /// (redacted), told apart where two would be the same (a run named as another's name with its
    /// hash, or names that differ only in case, which a case-insensitive file system takes as
    /// one), by `-2`, `-3`, … in run order.
    package static func fileNames(_ runs: [String], _ journal: Journal, _ redactor: Redactor?) throws(JournalError) -> [String] {
        var taken = Set<String>()
        var out: [String] = []
        for run in runs {
            let base = try fileName(run, journal, redactor)
            var name = base
            var n = 2
            while taken.contains(name.lowercased()) {
                name = "\(base)-\(n)"
                n += 1
            }
            taken.insert(name.lowercased())
            out.append(name)
        }
        return out
    }

    /// The file name of `run`: from its id as the export shows it, told apart from others by its
    /// ``identity(_:shown:_:)`` when redaction changed it.
    private static func fileName(_ run: String, _ journal: Journal, _ redactor: Redactor?) throws(JournalError) -> String {
        let shown = shown(run, redactor)
        return shown == run ? fileName(run) : fileName(shown, identity: try identity(run, shown: shown, journal))
    }

    /// The id of `run` as the export shows it: redacted when redaction is on. Not the first
    /// event's: a fork's first events are its parent's, and carry its id.
    package static func shown(_ run: String, _ redactor: Redactor?) -> String {
        var scratch = Redactor.Tally()
        return redactor?.redact(runID: run, tally: &scratch) ?? run
    }

    /// What tells a run apart once redaction changed its id (two runs whose ids redact alike
    /// stay two traces and two files): the recorded id with the hash of the recorded first
    /// event, which the export does not carry, so that it gives nothing of the id away.
    static func identity(_ run: String, shown: String, _ journal: Journal) throws(JournalError) -> String {
        shown == run ? run : run + "\u{0}" + (try journal.chainHash(of: run, at: 1))
    }
}
