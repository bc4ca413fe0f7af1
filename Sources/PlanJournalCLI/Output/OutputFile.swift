import Foundation
import PlanJournalCore
import PlanJournalStore

/// Standard output, a device or pipe named by path, or a file written through a temporary name
/// and renamed when complete.
final class OutputFile {
    private let handle: FileHandle
    private let path: String?
    /// Where the temporary file is renamed to when complete (the file a symbolic link names).
    private var target: String?
    private let temporary: String?
    /// Whether the output is a terminal (standard output, or a device such as `/dev/tty`).
    private var isTerminal = false

    init(path: String?) throws(JournalError) {
        self.path = path
        guard let path, path != "-" else {
            handle = .standardOutput
            temporary = nil
            isTerminal = Output.stdoutIsATTY
            return
        }
        switch try OutputPath.target(path) {
        case .stream(let device):
            guard let h = FileHandle(forWritingAtPath: device) else {
                throw JournalError(.io, "cannot open for writing: \(String(cString: strerror(errno)))", context: .init(file: path))
            }
            handle = h
            temporary = nil
            isTerminal = isatty(h.fileDescriptor) == 1
        case .file(let file):
            let temp = file + ".partial"
            guard FileManager.default.createFile(atPath: temp, contents: nil), let h = FileHandle(forWritingAtPath: temp) else {
                let folder = (file as NSString).deletingLastPathComponent
                let reason = FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder) ? "permission denied?" : "no directory \(folder)"
                throw JournalError(.io, "cannot write the output file (\(reason))", context: .init(file: path))
            }
            handle = h
            temporary = temp
            target = file
        }
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
        try write(Array((isTerminal ? TerminalText.safe(text) : text).utf8))
    }

    func close() throws(JournalError) {
        guard let temporary, let target else {
            if path != nil && path != "-" { try? handle.close() }
            return
        }
        try? handle.close()
        try OutputPath.moveIntoPlace(temporary, target)
    }
}
