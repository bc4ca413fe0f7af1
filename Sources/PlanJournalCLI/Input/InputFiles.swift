import Foundation
import PlanJournalCore
import PlanJournalStore

/// The files an `ingest` or `import` names: a directory stands for every file under it whose name
/// ends as theirs do (`*.jsonl`, `*.pjl`).
enum InputFiles {
    /// What `ingest` takes from a directory.
    static let jsonLines = [".jsonl", ".ndjson"]

    /// `paths` with each directory replaced by the files under it whose names end with one of
    /// `extensions` (at any depth, in byte order of their paths, so that `logs/2026-11-24/…`
    /// comes before `logs/2026-11-25/…` and rotated files keep their order). Files and `-` are
    /// kept as given.
    /// Every file is then checked (``Journal/checkInputs(_:)``) before anything is read.
    /// - Throws: `.usage` for a directory that cannot be read or holds no such file, and for a
    ///   file that is missing or unreadable.
    static func expand(_ paths: [String], extensions: [String] = jsonLines) throws(JournalError) -> [String] {
        var out: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                out.append(path)
                continue
            }
            guard let walker = FileManager.default.enumerator(atPath: path) else {
                throw JournalError(.usage, "cannot read the directory", context: .init(file: path))
            }
            let base = path.hasSuffix("/") ? path : path + "/"
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                // Any case: LOG.JSONL, run.PJL.
                guard extensions.contains(where: relative.lowercased().hasSuffix) else { continue }
                var isDir: ObjCBool = false
                let full = base + relative
                if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                    found.append(full)
                }
            }
            guard !found.isEmpty else {
                throw JournalError(
                    .usage, "the directory holds no \(extensions.joined(separator: " or ")) file",
                    context: .init(file: path))
            }
            out += found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        try Journal.checkInputs(out)
        return out
    }
}
