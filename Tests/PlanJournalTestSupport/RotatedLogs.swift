import Foundation
import PlanJournalCore

/// Four JSON Lines files, as an agent's rotated logs: run `r` starts in `a` and continues in `d`;
/// `b` continues it with a step no plan names (a rejection of `r` in `b` only); `a` and `c` also
/// hold complete runs `s` and `t`.
public struct RotatedLogs: Sendable {
    public let r: RunBuilder
    public let s: RunBuilder
    public let t: RunBuilder
    /// The events of `r` in `a`.
    public let split: Int
    /// The files, in order: `a.jsonl` ... `d.jsonl`.
    public let paths: [String]

    /// Writes the files into `directory`.
    public init(in directory: String) throws {
        r = try RunBuilder.complete(run: "r", steps: 4)
        s = try RunBuilder.complete(run: "s", steps: 2)
        t = try RunBuilder.complete(run: "t", steps: 2)
        split = r.events.count / 2
        let lines = r.events.map { $0.jsonLine + "\n" }
        let next = r.events[split]
        let bad =
            #"{"v":1,"run":"r","seq":\#(next.seq),"ts":"2026-11-26T10:00:00.000000Z","kind":"step.started","#
            + #""actor":"executor","data":{"step_id":"nope","attempt":1}}"# + "\n"
        let files = [
            ("a.jsonl", lines[..<split].joined() + s.jsonl), ("b.jsonl", bad), ("c.jsonl", t.jsonl),
            ("d.jsonl", lines[split...].joined()),
        ]
        paths = try files.map { name, text in
            let path = directory + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    /// Events written per file when the files are ingested in order into an empty journal.
    public var expectedWritten: [Int] {
        [split + s.events.count, 0, t.events.count, r.events.count - split]
    }
}
