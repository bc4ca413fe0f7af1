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
    /// Whether the handle is closed when done (not one of the process's own descriptors).
    private var ownsHandle = false

    init(path: String?) throws(JournalError) {
        self.path = path
        guard let path, path != "-" else {
            handle = .standardOutput
            temporary = nil
            isTerminal = Output.stdoutIsATTY
            return
        }
        let destination = try OutputPath.target(path)
        switch destination {
        case .file(let file):
            (temporary, handle) = try OutputPath.createTemporary(for: file)
            target = file
        case .stream, .descriptor:
            (handle, ownsHandle) = try destination.openStream(path: path)
            temporary = nil
            isTerminal = isatty(handle.fileDescriptor) == 1
        }
    }

    /// Bytes written so far.
    private(set) var bytesWritten = 0

    func write(_ bytes: [UInt8]) throws(JournalError) {
        if path == nil || path == "-", StandardDescriptors.wasClosed(1) {
            throw JournalError(.io, "cannot write the output: \(Output.closedOutput)")
        }
        do {
            try handle.write(contentsOf: Data(bytes))
        } catch {
            throw JournalError(.io, "cannot write the output: \(ErrorReason.of(error))", context: .init(file: path))
        }
        bytesWritten += bytes.count
    }

    /// Writes a report for people (Markdown, HTML): on a terminal, with the control characters
    /// from runs made harmless (``TerminalText``); into a file or a pipe, as it is.
    func write(report text: String) throws(JournalError) {
        try write(Array((isTerminal ? TerminalText.safe(text) : text).utf8))
    }

    func close() throws(JournalError) {
        guard let temporary, let target else {
            if ownsHandle { try? handle.close() }
            return
        }
        try? handle.close()
        finished = true
        do {
            try OutputPath.moveIntoPlace(temporary, target)
        } catch {
            OutputPath.removeTemporary(temporary)
            throw error
        }
    }

    /// Whether ``close()`` closed the temporary file and moved it into place (or, failing, removed it).
    private var finished = false

    /// A file left unfinished (its command failed: a full disk, a damaged run) goes, rather than
    /// holding its space as `FILE.partial-PID`.
    deinit {
        guard let temporary, !finished else { return }
        try? handle.close()
        OutputPath.removeTemporary(temporary)
    }
}
