import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// Seals: Ed25519 signatures over a run's chain hash, checked by `verify` and `checkSeals`, carried by `.pjl` files.
@Suite struct SealTests {
    /// A journal with a sealable run (several chunks) and another run.
    private func makeJournal() async throws -> TemporaryJournal {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 3000, snapshotInterval: 9))
        _ = try t.journal.ingest(file: Fixtures.validContract)
        _ = try t.journal.ingest(text: try RunBuilder.complete(run: "victim", steps: 6, payloadBytes: 500).jsonl)
        return t
    }

    private func statuses(_ checks: [SealCheck]) -> [SealCheck.Status] { checks.map(\.status) }

    /// Runs a command (through /usr/bin/env), feeding `input`; returns its status and standard output.
    private func command(_ arguments: [String], input: [UInt8]? = nil) async throws -> (status: Int32, output: [UInt8]) {
        let r = try await ChildProcess.run(arguments[0], Array(arguments.dropFirst()), stdin: input.map { Data($0) })
        return (r.status, Array(r.stdoutData))
    }

    private static let hasOpenSSL = FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

    @Test func aSealedRunVerifiesAgainstItsTrustedKey() async throws {
        let t = try await makeJournal()
        let key = SealingKey()
        let seal = try t.journal.seal(run: "victim", with: key)
        let run = try t.journal.run("victim")
        #expect(seal.seq == run.events && seal.hash == run.headHash && seal.keyID == key.publicKey.keyID)
        #expect(seal.keyID.count == 16 && seal.signature.count == 64 && seal.isSignatureValid)
        #expect(try t.journal.seals(of: "victim") == [seal])
        #expect(statuses(try t.journal.checkSeals(run: "victim")) == [.valid])
        #expect(statuses(try t.journal.checkSeals(run: "victim", trusting: [key.publicKey])) == [.valid])
        let report = try t.journal.verify(run: "victim", trusting: [key.publicKey])
        #expect(report.ok && report.seals == 1)
        // Every seal is checked by a plain verify too; the unsealed run is only a problem with --trust.
        #expect(try t.journal.verify().ok)
        let all = try t.journal.verify(trusting: [key.publicKey])
        #expect(!all.problems.isEmpty && all.problems.allSatisfy { $0.code == JournalError.Code.sealUntrusted.name })
        #expect(all.problems.allSatisfy { $0.run != "victim" })
        // The seal survives reopening (it is stored, not cached).
        #expect(try t.reopen().seals(of: "victim") == [seal])
    }

    /// A sealed run of more chunks than are read at once (their bodies are read a batch at a
    /// time, not the run's all together) checks whole, and a change in a late batch shows.
    @Test func aSealedRunOfManyChunksIsCheckedBatchByBatch() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 1000))
        _ = try t.journal.ingest(text: try RunBuilder.complete(run: "long", steps: 120, payloadBytes: 800).jsonl)
        let db = try SQLiteConnection(path: t.path)
        let count = try db.statement("SELECT count(*), sum(raw_len) FROM chunks")
        #expect(try count.step())
        #expect(count.int(0) > 3 * Int64(JournalReader.ChunkSource.batchSize), "\(count.int(0)) chunks, \(count.int(1)) bytes")
        count.reset()
        let key = SealingKey()
        _ = try t.journal.seal(run: "long", with: key)
        #expect(try t.journal.verify(run: "long", trusting: [key.publicKey]).ok)
        #expect(statuses(try t.journal.checkSeals(run: "long")) == [.valid])
        let late = try db.statement("SELECT cid, body FROM chunks ORDER BY first_seq DESC LIMIT 1 OFFSET 2")
        #expect(try late.step())
        let (cid, body) = (late.int(0), late.blob(1))
        late.reset()
        var changed = body
        changed[body.count / 2] ^= 0x01
        try db.statement("UPDATE chunks SET body = ? WHERE cid = ?").bind(.blob(changed), .int(cid)).run()
        #expect(!(try t.journal.verify(run: "long").ok))
        #expect(statuses(try t.journal.checkSeals(run: "long")) != [.valid])
    }

    @Test func aFlippedSignatureByteIsReported() async throws {
        let t = try await makeJournal()
        let key = SealingKey()
        let seal = try t.journal.seal(run: "victim", with: key)
        let db = try SQLiteConnection(path: t.path)
        let s = try db.statement("SELECT sid, signature FROM seals")
        #expect(try s.step())
        let (sid, signature) = (s.int(0), s.blob(1))
        s.reset()
        for k in [0, 31, 63] {
            var changed = signature
            changed[k] ^= 0x01
            try db.statement("UPDATE seals SET signature = ? WHERE sid = ?").bind(.blob(changed), .int(sid)).run()
            #expect(statuses(try t.journal.checkSeals(run: "victim")) == [.signatureInvalid])
            let report = try t.journal.verify(run: "victim")
            #expect(report.problems.map(\.code) == [JournalError.Code.sealBroken.name], "signature byte \(k)")
        }
        // A seal whose stored hash, trail or time was changed is as broken.
        try db.statement("UPDATE seals SET signature = ?, hash = zeroblob(32) WHERE sid = ?").bind(.blob(signature), .int(sid)).run()
        #expect(statuses(try t.journal.checkSeals(run: "victim")) == [.signatureInvalid])
        try db.statement("UPDATE seals SET hash = ?, trail = zeroblob(8) WHERE sid = ?")
            .bind(.blob(HashChain.bytes(hex: seal.hash) ?? []), .int(sid)).run()
        #expect(statuses(try t.journal.checkSeals(run: "victim")) == [.signatureInvalid])
        try db.statement("UPDATE seals SET trail = ?, sealed_at = sealed_at + 1 WHERE sid = ?").bind(.blob(seal.trail), .int(sid)).run()
        #expect(statuses(try t.journal.checkSeals(run: "victim")) == [.signatureInvalid])
        // Restored, it holds again.
        try db.statement("UPDATE seals SET sealed_at = sealed_at - 1 WHERE sid = ?").bind(.int(sid)).run()
        #expect(statuses(try t.journal.checkSeals(run: "victim")) == [.valid])
    }

    /// The chunk holding `seq 1` of `victim`, its events rewritten by `edit`, stored with a fixed checksum.
    private func rewriteFirstChunk(_ t: TemporaryJournal, _ edit: (String) -> String) async throws {
        let db = try SQLiteConnection(path: t.path)
        let s = try db.statement(
            "SELECT cid, codec, raw_len, body FROM chunks WHERE rid = (SELECT rid FROM runs WHERE id = 'victim') ORDER BY first_seq LIMIT 1")
        #expect(try s.step())
        let cid = s.int(0)
        let raw = try Codec(rawValue: s.int(1))!.decode(s.blob(3), rawLength: Int(s.int(2)))
        s.reset()
        let text = edit(String(decoding: raw, as: UTF8.self))
        #expect(Array(text.utf8) != raw)
        let (codec, body) = Codec.encode(Array(text.utf8), level: 0)
        try db.statement("UPDATE chunks SET codec = ?, raw_len = ?, body = ?, body_sum = ? WHERE cid = ?")
            .bind(.int(codec.rawValue), .int(Int64(text.utf8.count)), .blob(body), .blob(ChunkRow.checksum(body)), .int(cid)).run()
    }

    @Test func anEventChangedAfterSealingIsReportedWithItsSeq() async throws {
        let t = try await makeJournal()
        let key = SealingKey()
        _ = try t.journal.seal(run: "victim", with: key)
        try await rewriteFirstChunk(t) { $0.replacingOccurrences(of: "test goal", with: "evil goal") }
        let checks = try t.journal.checkSeals(run: "victim", trusting: [key.publicKey])
        #expect(statuses(checks) == [.changedAfterSealing])
        #expect(checks.first?.seq == 1 && checks.first?.isIntegrityFailure == true)
        #expect(checks.first?.message.contains("changed after sealing") == true)
        let report = try t.journal.verify(run: "victim", trusting: [key.publicKey])
        let sealProblem = report.problems.first { $0.code == JournalError.Code.sealBroken.name }
        #expect(sealProblem?.seq == 1)
        // A broken run cannot be sealed again (its changes would be blessed).
        #expect(throws: JournalError.self) { try t.journal.seal(run: "victim", with: key) }
    }

    @Test func anEventInTheMiddleOfAChunkIsLocatedExactly() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "victim", steps: 6, payloadBytes: 100)
        _ = try t.journal.ingest(text: run.jsonl)
        let key = SealingKey()
        let seal = try t.journal.seal(run: "victim", with: key)
        #expect(seal.trail.count == Seal.trailBytesPerEvent * Int(seal.seq))
        let target = try #require(run.events.first { $0.kind == "step.completed" && $0.jsonLine.contains("done s3") })
        try await rewriteFirstChunk(t) { $0.replacingOccurrences(of: "done s3", with: "DONE s3") }
        let checks = try t.journal.checkSeals(run: "victim", trusting: [key.publicKey])
        #expect(statuses(checks) == [.changedAfterSealing])
        #expect(checks.first?.seq == target.seq)
        let report = try t.journal.verify(run: "victim")
        #expect(report.problems.contains { $0.code == JournalError.Code.sealBroken.name && $0.seq == target.seq })
    }

    @Test func aConsistentlyRewrittenChainIsCaughtOnlyByTheSeal() async throws {
        let t = try await makeJournal()
        let key = SealingKey()
        _ = try t.journal.seal(run: "victim", with: key)
        // Rewrite an event and recompute every chunk hash and the head hash, as a careful forger would.
        let db = try SQLiteConnection(path: t.path)
        let s = try db.statement(
            "SELECT cid, codec, raw_len, body FROM chunks WHERE rid = (SELECT rid FROM runs WHERE id = 'victim') ORDER BY first_seq")
        var chunks: [(Int64, [UInt8])] = []
        while try s.step() { chunks.append((s.int(0), try Codec(rawValue: s.int(1))!.decode(s.blob(3), rawLength: Int(s.int(2))))) }
        s.reset()
        #expect(chunks.count > 2)
        var chain = HashChain()
        var seq: Int64 = 0
        var firstChanged: Int64?
        for (k, (cid, raw)) in chunks.enumerated() {
            var bytes = raw
            if k == 1 {
                bytes = Array(String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "lorem", with: "LOREM").utf8)
                #expect(bytes != raw)
            }
            for (line, original) in zip(ChunkRow.lines(of: bytes), ChunkRow.lines(of: raw)) {
                seq += 1
                if firstChanged == nil && line != original { firstChanged = seq }
                chain.append(line)
            }
            let (codec, body) = Codec.encode(bytes, level: 0)
            try db.statement("UPDATE chunks SET codec = ?, body = ?, body_sum = ?, hash = ?, dict = NULL WHERE cid = ?")
                .bind(.int(codec.rawValue), .blob(body), .blob(ChunkRow.checksum(body)), .blob(chain.head), .int(cid)).run()
        }
        try db.statement("UPDATE runs SET head_hash = ? WHERE id = 'victim'").bind(.blob(chain.head)).run()
        let report = try t.journal.verify(run: "victim")
        #expect(report.problems.allSatisfy { $0.code != JournalError.Code.chainBroken.name })
        #expect(report.problems.contains { $0.code == JournalError.Code.sealBroken.name })
        // The seal's signed trail locates the first changed event all the same.
        let checks = try t.journal.checkSeals(run: "victim")
        #expect(statuses(checks) == [.changedAfterSealing])
        #expect(firstChanged != nil && firstChanged! > 1)
        #expect(checks.first?.seq == firstChanged)
        #expect(checks.first?.message.contains("seq \(firstChanged!) was changed after sealing") == true)
    }

    @Test func anUntrustedKeyIsReported() async throws {
        let t = try await makeJournal()
        let mine = SealingKey()
        let theirs = SealingKey()
        _ = try t.journal.seal(run: "victim", with: theirs)
        #expect(statuses(try t.journal.checkSeals(run: "victim", trusting: [mine.publicKey])) == [.untrustedKey, .unsealed])
        let report = try t.journal.verify(run: "victim", trusting: [mine.publicKey])
        #expect(!report.ok)
        #expect(report.problems.allSatisfy { $0.code == JournalError.Code.sealUntrusted.name })
        // Sealed by both: the trusted seal counts, the other is still named.
        _ = try t.journal.seal(run: "victim", with: mine)
        #expect(statuses(try t.journal.checkSeals(run: "victim", trusting: [mine.publicKey])) == [.untrustedKey, .valid])
        #expect(try t.journal.verify(run: "victim", trusting: [mine.publicKey, theirs.publicKey]).ok)
        // Co-signed by a key not trusted: the trusted seal is what the check asks for.
        #expect(try t.journal.verify(run: "victim", trusting: [mine.publicKey]).ok)
        // An unsealed run with trusted keys.
        #expect(statuses(try t.journal.checkSeals(run: "victim", trusting: [])) == [.valid, .valid])
    }

    @Test func eventsAppendedAfterSealingLeaveTheSealValid() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 2000))
        let run = try RunBuilder.complete(run: "growing", steps: 5, payloadBytes: 400)
        _ = try await t.journal.append(Array(run.events[0..<9]), to: "growing", expecting: .noRun)
        let key = SealingKey()
        let first = try t.journal.seal(run: "growing", with: key)
        #expect(first.seq == 9)
        _ = try await t.journal.append(Array(run.events[9...]), to: "growing", expecting: .exactly(9))
        #expect(statuses(try t.journal.checkSeals(run: "growing", trusting: [])) == [.valid])
        // Trusting the key means trusting what it signed: the events after the seal are not.
        let tail = try t.journal.checkSeals(run: "growing", trusting: [key.publicKey])
        #expect(statuses(tail) == [.valid, .unsealedTail] && tail.last?.seq == 10)
        #expect(try !t.journal.verify(trusting: [key.publicKey]).ok)
        let second = try t.journal.seal(run: "growing", with: key)
        #expect(second.seq == Int64(run.events.count))
        #expect(statuses(try t.journal.checkSeals(run: "growing", trusting: [key.publicKey])) == [.valid, .valid])
        #expect(try t.journal.verify(trusting: [key.publicKey]).ok)
    }

    @Test func aForkSealedPastItsForkPointVerifies() async throws {
        let t = try await makeJournal()
        let fork = try t.journal.fork("victim", at: 12, as: "fork")
        let key = SealingKey()
        let seal = try t.journal.seal(run: fork.id, with: key)
        #expect(seal.seq == 12 && seal.hash == fork.headHash)
        #expect(try t.journal.verify(run: "fork", trusting: [key.publicKey]).ok)
    }

    @Test func pjlCarriesSealsThatLZ4SkipsAndImportRestores() async throws {
        let t = try await makeJournal()
        let key = SealingKey()
        let other = SealingKey()
        let seals = [try t.journal.seal(run: "victim", with: key), try t.journal.seal(run: "victim", with: other)]
        var jsonl: [UInt8] = []
        try t.journal.exportJSONL(run: "victim") { (b) throws(JournalError) in jsonl += b }
        var pjl: [UInt8] = []
        try t.journal.exportPJL(run: "victim") { (b) throws(JournalError) in pjl += b }
        // `lz4 -dc` prints exactly the JSON Lines: the seal frame is skipped.
        let decoded = try await command(["lz4", "-dc"], input: pjl)
        #expect(decoded.status == 0)
        #expect(decoded.output == jsonl)
        let file = t.directory + "/victim.pjl"
        try Data(pjl).write(to: URL(fileURLWithPath: file))
        let fresh = try TemporaryJournal()
        let report = try fresh.journal.importPJL(file: file)
        #expect(report.rejected.isEmpty)
        #expect(try fresh.journal.seals(of: "victim") == seals)
        #expect(try fresh.journal.verify(trusting: [key.publicKey, other.publicKey]).ok)
        // With --trust, the run needs a seal by a trusted key; a co-signer's seal is no problem.
        #expect(try fresh.journal.verify(trusting: [key.publicKey]).ok)
        // Trusting neither: no trusted seal, and the keys that did seal are named.
        let stranger = SealingKey()
        let untrusted = try fresh.journal.verify(trusting: [stranger.publicKey])
        #expect(untrusted.problems.map(\.code) == [JournalError.Code.sealUntrusted.name])
        #expect(untrusted.problems.first?.message.contains(other.publicKey.keyID) == true)
        // Importing again adds nothing.
        _ = try fresh.journal.importPJL(file: file)
        #expect(try fresh.journal.seals(of: "victim").count == 2)
        // A file without seals still imports (as before).
        let plain = t.directory + "/plain.pjl"
        var other2: [UInt8] = []
        try t.journal.exportPJL(run: try t.journal.runs().first { $0.id != "victim" }!.id) { (b) throws(JournalError) in other2 += b }
        try Data(other2).write(to: URL(fileURLWithPath: plain))
        #expect(try fresh.journal.importPJL(file: plain).rejected.isEmpty)
    }

    @Test func aPJLWhoseSealDoesNotHoldIsRefusedNamingTheFile() async throws {
        let t = try await makeJournal()
        let key = SealingKey()
        _ = try t.journal.seal(run: "victim", with: key)
        var pjl: [UInt8] = []
        try t.journal.exportPJL(run: "victim") { (b) throws(JournalError) in pjl += b }
        // Change the seal's signature in the file (the seal frame is plain JSON lines at the end).
        let text = String(decoding: pjl.suffix(400), as: UTF8.self)
        let signature = Data(try t.journal.seals(of: "victim")[0].signature).base64EncodedString()
        #expect(text.contains(signature))
        var forged = Array(try t.journal.seals(of: "victim")[0].signature)
        forged[5] ^= 0x40
        let replaced = Array(Data(forged).base64EncodedString().utf8)
        let at = pjl.firstRange(of: Array(signature.utf8))!
        pjl.replaceSubrange(at, with: replaced)
        let file = t.directory + "/forged.pjl"
        try Data(pjl).write(to: URL(fileURLWithPath: file))
        let fresh = try TemporaryJournal()
        do {
            _ = try fresh.journal.importPJL(file: file)
            Issue.record("a forged seal was imported")
        } catch {
            #expect(error.code == .sealBroken)
            #expect(error.description.contains(file))
        }
        #expect(try fresh.journal.runs().isEmpty)
    }

    @Test func theFrameDecoderHandsOverSkippableFramesSplitAnywhere() async throws {
        let payload = Array("{\"a\":1}\n".utf8)
        let data = Array(String(repeating: "line of text\n", count: 50).utf8)
        let encoder = try LZ4FrameEncoder(level: 1)
        var frame = try encoder.begin()
        frame += try encoder.update(data)
        frame += try encoder.end()
        let stream =
            LZ4FrameEncoder.skippableFrame(magic: 0x184D_2A51, payload: [1, 2, 3]) + frame
            + LZ4FrameEncoder.skippableFrame(magic: Journal.sealFrameMagic, payload: payload)
            + LZ4FrameEncoder.skippableFrame(magic: Journal.sealFrameMagic, payload: []) + frame
        for piece in [1, 3, 7, 4096] {
            let decoder = try LZ4FrameDecoder(collectingSkippable: Journal.sealFrameMagic)
            var out: [UInt8] = []
            var collected: [[UInt8]] = []
            var k = 0
            while k < stream.count {
                let block = Array(stream[k..<min(stream.count, k + piece)])
                try decoder.decode(block) { (o) throws(JournalError) in out += o } skippable: { (p) throws(JournalError) in
                    collected.append(p)
                }
                k += piece
            }
            #expect(decoder.atFrameBoundary)
            #expect(out == data + data, "pieces of \(piece)")
            #expect(collected == [payload, []], "pieces of \(piece)")
        }
        // A cut-off skippable frame is not a frame boundary.
        let decoder = try LZ4FrameDecoder()
        try decoder.decode(Array(LZ4FrameEncoder.skippableFrame(magic: 0x184D_2A50, payload: [1, 2, 3]).dropLast())) { _ in }
        #expect(!decoder.atFrameBoundary)
    }

    @Test func keysRoundTripThroughPEM() async throws {
        let key = SealingKey()
        let again = try SealingKey(pem: key.pemRepresentation)
        #expect(again.rawRepresentation == key.rawRepresentation)
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let pub = try SealPublicKey(pem: key.publicKey.pemRepresentation)
        #expect(pub == key.publicKey)
        #expect(key.publicKey.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(throws: JournalError.self) { try SealPublicKey(pem: key.pemRepresentation) }
        #expect(throws: JournalError.self) { try SealingKey(pem: key.publicKey.pemRepresentation) }
        #expect(throws: JournalError.self) { try SealingKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
    }

    @Test(.enabled(if: SealTests.hasOpenSSL)) func keysAndSignaturesInteroperateWithOpenSSL() async throws {
        let t = try TemporaryJournal()
        let dir = t.directory
        // openssl reads planj's private key and derives the same public key.
        let key = SealingKey()
        try key.pemRepresentation.write(toFile: dir + "/planj.key", atomically: true, encoding: .utf8)
        let derived = try await command(["openssl", "pkey", "-in", dir + "/planj.key", "-pubout"])
        #expect(derived.status == 0)
        #expect(String(decoding: derived.output, as: UTF8.self) == key.publicKey.pemRepresentation)
        // planj reads a key openssl made, and its public half as openssl writes it.
        await #expect(try command(["openssl", "genpkey", "-algorithm", "ed25519", "-out", dir + "/openssl.key"]).status == 0)
        let theirs = try SealingKey(file: dir + "/openssl.key")
        let theirPub = try await command(["openssl", "pkey", "-in", dir + "/openssl.key", "-pubout"])
        #expect(try SealPublicKey(pem: String(decoding: theirPub.output, as: UTF8.self)) == theirs.publicKey)
        // openssl verifies a seal's signature: it is plain Ed25519 over the documented message.
        _ = try t.journal.ingest(text: try RunBuilder.complete(run: "r").jsonl)
        let seal = try t.journal.seal(run: "r", with: theirs)
        try Data(seal.message).write(to: URL(fileURLWithPath: dir + "/message"))
        try Data(seal.signature).write(to: URL(fileURLWithPath: dir + "/signature"))
        try Data(theirPub.output).write(to: URL(fileURLWithPath: dir + "/openssl.pub"))
        let verified = try await command([
            "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", dir + "/openssl.pub", "-rawin", "-in", dir + "/message",
            "-sigfile", dir + "/signature",
        ])
        #expect(verified.status == 0)
        #expect(String(decoding: seal.message, as: UTF8.self).hasPrefix("planjournal-seal-v1\nrun \"r\"\nseq \(seal.seq)\nhash \(seal.hash)\n"))
    }
}
