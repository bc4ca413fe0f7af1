import Crypto
import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// The chunk body checksum: XXH64 for chunks written from format version 4 on, the 16-byte
/// SHA-256 prefix of older journals still read.
@Suite struct ChunkChecksumTests {
    /// Bytes `(i * 7 + 3) % 251`: every length from 0 crosses the 32-byte stripes, the 8- and
    /// 4-byte tails and the single bytes.
    private static func pattern(_ n: Int) -> [UInt8] {
        (0..<n).map { UInt8(($0 * 7 + 3) % 251) }
    }

    /// Values of the reference implementation (Python's `xxhash.xxh64(data).intdigest()`).
    @Test(arguments: [
        (0, 0xEF46_DB37_51D8_E999), (1, 0x1F25_C8D0_BC1F_4BB6), (3, 0x31D2_363F_52E5_64C9),
        (4, 0x9BB6_4B7D_66EE_9FDA), (7, 0x9A7B_1499_59CE_60D8), (8, 0xDAB9_9D95_C6F9_0092),
        (9, 0x170B_B6BF_975B_4C02), (31, 0xA2AA_5F33_CC4A_6119), (32, 0x23C3_C17E_F790_FD97),
        (33, 0x50A7_CFC7_BA58_8784), (63, 0xF143_8F15_B9ED_16E9), (64, 0x2CD9_90A1_BEED_6894),
        (100, 0x778E_26DF_8290_F456), (1000, 0x021F_7A74_2408_5EA4),
    ] as [(Int, UInt64)])
    func xxh64MatchesTheReference(length: Int, expected: UInt64) {
        #expect(XXH64.hash(Self.pattern(length)) == expected)
    }

    /// With a seed (what ``RepeatedStrings`` keys strings with), values of the reference algorithm
    /// (a transcription checked against the seed-0 values above).
    @Test(arguments: [
        (0, 0x51E2_4C0E_9077_A48C), (5, 0x7AC0_93FE_3E6C_37DA), (31, 0x6BA8_72E9_10FB_CE5C),
        (33, 0xBF84_912D_4DEA_9670), (100, 0x9D29_2192_454A_6A49), (1000, 0x029F_9535_5DB1_7CC1),
    ] as [(Int, UInt64)])
    func seededXXH64MatchesTheReference(length: Int, expected: UInt64) {
        #expect(XXH64.hash(Self.pattern(length).span.bytes, seed: 0x0123_4567_89AB_CDEF) == expected)
    }

    @Test func xxh64OfTextAndItsDigestBytes() {
        #expect(XXH64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(XXH64.digest(Array("abc".utf8)) == [0x44, 0xBC, 0x2C, 0xF5, 0xAD, 0x77, 0x09, 0x99])
    }

    @Test func newChunksCarryEightByteSums() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 3000))
        _ = try t.journal.ingest(text: try RunBuilder.complete(run: "r", steps: 6, payloadBytes: 500).jsonl)
        let db = try SQLiteConnection(path: t.path)
        let s = try db.statement("SELECT body, body_sum FROM chunks")
        var chunks = 0
        while try s.step() {
            chunks += 1
            #expect(s.blob(1) == XXH64.digest(s.blob(0)))
        }
        s.reset()
        #expect(chunks > 1)
    }

    /// A journal of format version 3 (chunk sums the first 16 bytes of SHA-256) opens, is
    /// upgraded, reads back the same events and verifies; a changed body byte is still caught.
    @Test func chunksOfFormatVersion3AreStillReadAndChecked() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 3000))
        _ = try t.journal.ingest(file: Fixtures.validContract)
        _ = try t.journal.ingest(text: try RunBuilder.complete(run: "old", steps: 6, payloadBytes: 500).jsonl)
        let before = try t.journal.events(of: "old")
        let path = t.path
        try {
            let db = try SQLiteConnection(path: path)
            let s = try db.statement("SELECT cid, body FROM chunks")
            var sums: [(Int64, [UInt8])] = []
            while try s.step() { sums.append((s.int(0), Array(SHA256.hash(data: s.blob(1)).prefix(16)))) }
            s.reset()
            for (cid, sum) in sums {
                try db.statement("UPDATE chunks SET body_sum = ? WHERE cid = ?").bind(.blob(sum), .int(cid)).run()
            }
            try db.execute("UPDATE meta SET value = '3' WHERE key = 'format_version'")
        }()
        let reopened = try Journal(path: path)
        #expect(try reopened.formatVersion() == Journal.supportedFormatVersion)
        #expect(try reopened.events(of: "old") == before)
        #expect(try reopened.verify().ok)

        try StoredEventTamperer.flipMiddleByte(ofChunk: "SELECT cid, body FROM chunks ORDER BY cid LIMIT 1", in: path)
        let report = try Journal(path: path).verify()
        #expect(!report.ok)
        #expect(report.problems.contains { $0.message.contains("checksum") })
    }
}
