import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// The shared compression dictionary is trained on what the journal stores, not only on what one
/// writer wrote.
@Suite struct DictionaryTrainingTests {
    /// One small run per process (an agent that ingests each run when it ends): no process alone
    /// writes enough to train a dictionary, yet the journal gets one, trained on several runs, and
    /// the chunks written after it use it.
    @Test func smallIngestsOfSeparateProcessesTrainADictionaryOnWhatIsStored() throws {
        let config = JournalConfiguration(dictionaryTrainingBytes: 32 << 10)
        let t = try TemporaryJournal(configuration: config)
        let runs = try (0..<10).map { try RunBuilder.complete(run: "r\($0)", steps: 3, payloadBytes: 600) }
        #expect(runs[0].jsonl.utf8.count < 16 << 10, "each run alone is well under the training size")
        for run in runs {
            let process = try t.reopen(configuration: config)
            #expect(try process.ingest(text: run.jsonl).rejected.isEmpty)
        }
        #expect(try t.journal.stats().dictionaries == 1)
        let db = try SQLiteConnection(path: t.path)
        let s = try db.statement("SELECT count(*) FROM chunks WHERE codec & 7 = ?").bind(.int(Codec.lz4Dictionary.rawValue))
        defer { s.reset() }
        #expect(try s.step() && s.int(0) >= 3, "the last runs' chunks are compressed with the dictionary")
        #expect(try t.journal.verify().ok)
        for run in runs {
            #expect(try t.journal.events(of: run.run).map(\.jsonLine) == run.events.map(\.jsonLine))
        }
    }
}
