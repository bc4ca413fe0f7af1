import Foundation
import PlanJournalCore
import PlanJournalStore

/// Standard output or a file written through a temporary name and renamed when complete.
final class OutputFile {
    private let handle: FileHandle
    private let path: String?
    private let temporary: String?

    init(path: String?) throws(JournalError) {
        self.path = path
        guard let path, path != "-" else {
            handle = .standardOutput
            temporary = nil
            return
        }
        try OutputPath.checkReplaceable(path)
        let temp = path + ".partial"
        guard FileManager.default.createFile(atPath: temp, contents: nil), let h = FileHandle(forWritingAtPath: temp) else {
            let folder = (path as NSString).deletingLastPathComponent
            let reason = FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder) ? "permission denied?" : "no directory \(folder)"
            throw JournalError(.io, "cannot write the output file (\(reason))", context: .init(file: path))
        }
        handle = h
        temporary = temp
    }

    /// Bytes written so far.
    private(set) var bytesWritten = 0

    func write(_ bytes: [UInt8]) throws(JournalError) {
        bytesWritten += bytes.count
        do {
            try handle.write(contentsOf: Data(bytes))
        } catch {
            throw JournalError(.io, "cannot write the output: \(error.localizedDescription)", context: .init(file: path))
        }
    }

    /// Writes a report for people (Markdown, HTML): on a terminal, with the control characters
    /// from runs made harmless (``TerminalText``); into a file or a pipe, as it is.
    func write(report text: String) throws(JournalError) {
        try write(Array((temporary == nil && Output.stdoutIsATTY ? TerminalText.safe(text) : text).utf8))
    }

    func close() throws(JournalError) {
        guard let temporary, let path else { return }
        try? handle.close()
        try OutputPath.moveIntoPlace(temporary, path)
    }
}
