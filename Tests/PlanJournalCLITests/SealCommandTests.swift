import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// `planj keygen`, `planj seal` and `planj verify --trust`, end to end with the built binary.
@Suite(.serialized) struct SealCommandTests {
    let directory: String
    let journal: String
    let run = "01JDQ8Z7K2V3M4N5P6Q7R8S9T0"

    init() throws {
        directory = NSTemporaryDirectory() + "planj-seal-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        journal = directory + "/j.sqlite"
    }

    @discardableResult
    func planj(_ arguments: String...) async throws -> PlanjBinary.Result {
        try await PlanjBinary.run(arguments, in: directory)
    }

    private func permissions(_ path: String) async throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func keygenWritesAPrivateKeyOnlyItsOwnerReadsAndRefusesToOverwrite() async throws {
        let made = try await planj("keygen", "-o", "ci.key", "--json")
        #expect(made.status == 0, "\(made.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: String])
        let key = try SealingKey(file: directory + "/ci.key")
        #expect(json["key_id"] == key.publicKey.keyID)
        #expect(json["public_key"] == "ci.key.pub")
        #expect(try SealPublicKey(file: directory + "/ci.key.pub") == key.publicKey)
        await #expect(try permissions(directory + "/ci.key") == 0o600)
        await #expect(try permissions(directory + "/ci.key.pub") == 0o644)
        // An existing key is never replaced silently.
        let again = try await planj("keygen", "-o", "ci.key")
        #expect(again.status == 2)
        #expect(again.stderr.contains("ci.key") && again.stderr.contains("--force"))
        #expect(try SealingKey(file: directory + "/ci.key").rawRepresentation == key.rawRepresentation)
        // Nor its public half.
        try FileManager.default.removeItem(atPath: directory + "/ci.key")
        #expect(try await planj("keygen", "-o", "ci.key").status == 2)
        #expect(!FileManager.default.fileExists(atPath: directory + "/ci.key"))
        // --force replaces both, still private.
        let forced = try await planj("keygen", "-o", "ci.key", "--force")
        #expect(forced.status == 0)
        #expect(forced.stdout.hasPrefix("key "))
        #expect(try SealingKey(file: directory + "/ci.key").publicKey == (try SealPublicKey(file: directory + "/ci.key.pub")))
        await #expect(try permissions(directory + "/ci.key") == 0o600)
        // The default file name.
        #expect(try await planj("keygen").status == 0)
        #expect(FileManager.default.fileExists(atPath: directory + "/planj-seal.key.pub"))
    }

    @Test func sealExportImportAndVerifyWithTrust() async throws {
        #expect(try await planj("--journal", journal, "ingest", Fixtures.validContract).status == 0)
        #expect(try await planj("keygen", "-o", "ci.key").status == 0)
        #expect(try await planj("keygen", "-o", "stranger.key").status == 0)
        let keyID = try SealingKey(file: directory + "/ci.key").publicKey.keyID

        let sealed = try await planj("--journal", journal, "seal", run, "--key", "ci.key")
        #expect(sealed.status == 0, "\(sealed.stderr)")
        #expect(sealed.stdout.contains("sealed run \(run) up to seq") && sealed.stdout.contains(keyID))
        let json = try await planj("--journal", journal, "seal", run, "--key", "ci.key", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["key_id"] as? String == keyID && object["run"] as? String == run)

        #expect(try await planj("--journal", journal, "verify", run, "--trust", "ci.key.pub").status == 0)
        let ok = try await planj("--journal", journal, "verify", run, "--trust", "ci.key.pub")
        #expect(ok.stdout.hasPrefix("ok: 1 run,") && ok.stdout.contains("2 seals checked"))
        // Another key's trust: a question of trust, exit status 1, naming the key.
        let untrusted = try await planj("--journal", journal, "verify", run, "--trust", "stranger.key.pub")
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("[seal.untrusted]") && untrusted.stderr.contains(keyID))
        // The other run of the journal has no seal.
        let all = try await planj("--journal", journal, "verify", "--trust", "ci.key.pub", "--json")
        #expect(all.status == 1)
        #expect(all.stdout.contains("no seal by a trusted key"))
        // A private key is not a trust anchor.
        let wrong = try await planj("--journal", journal, "verify", "--trust", "ci.key")
        #expect(wrong.status == 2 && wrong.stderr.contains("private key"))

        // The seal travels in the .pjl file; `lz4 -dc` still prints just the JSON Lines.
        #expect(try await planj("--journal", journal, "export", run, "--format", "pjl", "-o", "run.pjl").status == 0)
        let jsonl = try await planj("--journal", journal, "export", run, "--format", "jsonl").stdout
        let decoded = try await ChildProcess.run("lz4", ["-dc", directory + "/run.pjl"])
        #expect(decoded.status == 0 && decoded.stdout == jsonl)

        let elsewhere = directory + "/elsewhere.sqlite"
        #expect(try await planj("--journal", elsewhere, "import", "run.pjl").status == 0)
        let there = try await planj("--journal", elsewhere, "verify", "--trust", "ci.key.pub")
        #expect(there.status == 0, "\(there.stderr)")
        #expect(there.stdout.contains("2 seals checked"))

        // An event changed after sealing: exit status 6, reported as such with its seq.
        try await tamper(elsewhere)
        let tampered = try await planj("--journal", elsewhere, "verify", "--trust", "ci.key.pub")
        #expect(tampered.status == 6)
        #expect(tampered.stderr.contains("[seal.broken]") && tampered.stderr.contains("changed after sealing"))
        #expect(tampered.stderr.contains("run \(run) seq 1: [seal.broken]"))
    }

    /// Changes a byte of an event of `run` in the journal at `path` (fixing the chunk checksum).
    private func tamper(_ path: String) async throws {
        let db = try SQLiteConnection(path: path)
        let s = try db.statement("SELECT cid, codec, raw_len, body FROM chunks ORDER BY first_seq LIMIT 1")
        #expect(try s.step())
        let cid = s.int(0)
        let raw = try Codec(rawValue: s.int(1))!.decode(s.blob(3), rawLength: Int(s.int(2)))
        s.reset()
        var bytes = raw
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "e")))
        bytes[at] = UInt8(ascii: "E")
        let (codec, body) = Codec.encode(bytes, level: 0)
        try db.statement("UPDATE chunks SET codec = ?, body = ?, body_sum = ?, dict = NULL WHERE cid = ?")
            .bind(.int(codec.rawValue), .blob(body), .blob(ChunkRow.checksum(body)), .int(cid)).run()
    }

    @Test func theHelpTeachesTheWorkflow() async throws {
        let help = try await planj("seal", "--help").stdout
        for text in ["planj keygen -o", "--format pjl", "import run.pjl", "verify --trust ci.key.pub"] {
            #expect(help.contains(text), "\(text) missing from seal --help")
        }
        #expect(try await planj("verify", "--help").stdout.contains("--trust <file>"))
        let top = try await planj("--help").stdout
        #expect(top.contains("  keygen ") && top.contains("  seal "))
    }
}
