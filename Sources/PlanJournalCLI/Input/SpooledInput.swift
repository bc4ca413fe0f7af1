import Foundation
import PlanJournalCore
import PlanJournalStore

/// An input that can be read only once (standard input, a pipe such as `<(…)`), copied to a
/// temporary file for a command that reads its input twice; the file is removed with it.
final class SpooledInput {
    /// The temporary file holding what was read.
    let path: String

    /// Copies `source` when it is `-` or not a regular file; `nil` when it can be read as it is.
    /// - Throws: `.usage` when it names nothing, `.io` when it cannot be read or written.
    init?(ifNeededFor source: String) throws(JournalError) {
        guard Self.readsOnce(source) else { return nil }
        path = NSTemporaryDirectory() + "planj-input-\(UUID().uuidString)"
        let input: FileHandle
        if source == "-" {
            input = FileHandle.standardInput
        } else {
            let fd = open(source, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw JournalError.cannotOpen(source, errno: errno) }
            input = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        }
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let output = FileHandle(forWritingAtPath: path)
        else {
            throw JournalError(.io, "cannot create a temporary file to hold the input", context: .init(file: path))
        }
        defer { try? output.close() }
        do {
            while let block = try input.read(upToCount: 1 << 20), !block.isEmpty {
                try output.write(contentsOf: block)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw JournalError(.io, "cannot read the input: \(error.localizedDescription)", context: .init(file: source))
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Whether `source` is standard input or anything but a regular file.
    private static func readsOnce(_ source: String) -> Bool {
        guard source != "-" else { return true }
        let type = (try? FileManager.default.attributesOfItem(atPath: source))?[.type] as? FileAttributeType
        return type != .typeRegular
    }
}
