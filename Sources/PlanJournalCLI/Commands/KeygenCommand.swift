import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Make an Ed25519 key pair for sealing runs.",
            discussion: HelpText.reflow("""
                Writes the private key to FILE (PKCS#8 PEM, mode 0600: readable by you
                only) and the public key to FILE.pub (SubjectPublicKeyInfo PEM), and
                prints the key id (the first 16 hex digits of SHA-256 of the public
                key) that `seal` and `verify` name the key by. An existing file is
                kept unless --force is given.

                These are the standard files openssl reads and writes: `openssl pkey
                -in FILE -pubout` prints FILE.pub, and a key made with `openssl genpkey
                -algorithm ed25519` seals runs too.

                Keep FILE secret; give FILE.pub to whoever checks your runs.

                \(sealWorkflow)
                """))

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The private key file.", valueName: "file"))
        var output = "planj-seal.key"

        @Flag(help: "Replace existing key files.")
        var force = false

        @Flag(help: "Print the key id and paths as JSON.")
        var json = false

        @Flag(name: .long, help: "Print errors with their causes.")
        var verbose = false

        struct Made: Encodable {
            var keyID: String
            var privateKey: String
            var publicKey: String
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: verbose) {
                let key = SealingKey()
                let publicPath = output + ".pub"
                _ = try KeyFiles.file(output)
                if !force {
                    for path in [output, publicPath] where FileManager.default.fileExists(atPath: path) {
                        throw JournalError(
                            .usage, "the file exists: keep it, choose another with -o, or replace it with --force",
                            context: .init(file: path))
                    }
                }
                try KeyFiles.write(key.pemRepresentation, to: output, mode: 0o600)
                try KeyFiles.write(key.publicKey.pemRepresentation, to: publicPath, mode: 0o644)
                if json {
                    Output.json(Made(keyID: key.publicKey.keyID, privateKey: output, publicKey: publicPath))
                } else {
                    Output.line("key \(key.publicKey.keyID)")
                    Output.line("private key: \(output) (keep it secret)")
                    Output.line("public key:  \(publicPath) (trust it with `planj verify --trust \(publicPath)`)")
                }
            }
        }
    }
}

/// Writing key files.
enum KeyFiles {
    /// Writes `text` to a new file at `path` created with `mode` (an existing file is replaced: the
    /// caller decides whether it may be), so a private key is never readable by others, not even
    /// for a moment.
    /// The file a key goes to (a symbolic link's target): a key is a file of its own, with its
    /// `.pub` beside it, never a device or a pipe.
    /// - Throws: `.usage` naming the path otherwise.
    static func file(_ given: String) throws(JournalError) -> String {
        var link = stat()
        if lstat(given, &link) == 0, link.st_mode & S_IFMT == S_IFLNK {
            throw JournalError(.usage, "is a symbolic link: name the key file itself", context: .init(file: given))
        }
        guard case .file(let path) = try OutputPath.target(given) else {
            throw JournalError(
                .usage, "is not a file: a key and its .pub are written as two files; name a file", context: .init(file: given))
        }
        return path
    }

    static func write(_ text: String, to given: String, mode: mode_t) throws(JournalError) {
        let path = try file(given)
        if FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw JournalError(.io, "cannot replace the file: \(ErrorReason.of(error))", context: .init(file: path))
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else {
            throw JournalError(.io, "cannot create the file: \(String(cString: strerror(errno)))", context: .init(file: path))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        } catch {
            throw JournalError(.io, "cannot write the file: \(ErrorReason.of(error))", context: .init(file: path))
        }
        // The umask may have taken bits away from `mode` (never added any): set it exactly.
        _ = chmod(path, mode)
    }
}
