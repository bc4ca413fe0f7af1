import Foundation
import PlanJournalCore
import PlanJournalStore

/// An input that can be read only once (standard input, a pipe such as `<(…)`), copied to a
/// temporary file for a command that reads its input twice; the file is removed with it.
final class SpooledInput {
    /// The temporary file holding what was read. On Linux its name is removed as soon as it is
    /// made, and this is the path of the descriptor kept open to it: the file goes with the
    /// process however it ends (Ctrl-C left the whole copy of the input behind).
    let path: String
    private let descriptor: Int32
    private let named: Bool

    /// Copies `source` when it is `-` or not a regular file; `nil` when it can be read as it is.
    /// - Throws: `.usage` when it names nothing, `.io` when it cannot be read or written.
    init?(ifNeededFor source: String) throws(JournalError) {
        guard Self.readsOnce(source) else { return nil }
        let name = NSTemporaryDirectory() + "planj-input-\(UUID().uuidString)"
        let input: FileHandle
        if source == "-" {
            try StandardDescriptors.requireInput()
            input = FileHandle.standardInput
        } else {
            let fd = open(source, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw JournalError.cannotOpen(source, errno: errno) }
            input = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        }
        descriptor = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw JournalError(
                .io, "cannot create a temporary file to hold the input: \(String(cString: strerror(errno))) (TMPDIR names the folder)",
                context: .init(file: name))
        }
        #if os(Linux)
            unlink(name)
            (path, named) = ("/proc/self/fd/\(descriptor)", false)
        #else
            (path, named) = (name, true)
        #endif
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        // Every property is set: deinit closes (and removes) the file when this throws.
        while true {
            let block: Data?
            do {
                block = try input.read(upToCount: 1 << 20)
            } catch {
                throw JournalError(.io, "cannot read the input: \(ErrorReason.of(error))", context: .init(file: source))
            }
            guard let block, !block.isEmpty else { break }
            do {
                try output.write(contentsOf: block)
            } catch {
                throw JournalError(
                    .io, "cannot copy the input to a temporary file in \(NSTemporaryDirectory()): \(ErrorReason.of(error)) (TMPDIR names the folder)",
                    context: .init(file: source))
            }
        }
    }

    deinit {
        close(descriptor)
        if named { unlink(path) }
    }

    /// Whether `source` is standard input or anything but a regular file.
    private static func readsOnce(_ source: String) -> Bool {
        guard source != "-" else { return true }
        let type = (try? FileManager.default.attributesOfItem(atPath: source))?[.type] as? FileAttributeType
        return type != .typeRegular
    }
}
