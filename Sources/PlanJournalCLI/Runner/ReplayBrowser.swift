import Foundation
import PlanJournalCore
import PlanJournalTools

/// The interactive audit of `planj replay` on a terminal: one event at a time with the plan as it
/// stood after it. Commands (then Enter): Enter or `n` next, `p` previous, `g SEQ` jump to an event,
/// `s STEP` jump to a step's first event, `/TEXT` next event whose JSON holds TEXT, `q` quit.
struct ReplayBrowser {
    let run: String
    let events: [JournalEvent]
    let entries: [ReplayEntry]

    static let help = "Enter/n next · p previous · g SEQ jump · s STEP step · /TEXT search · q quit"

    /// Browses from index `start`, reading commands from `input` until `q` or its end.
    func browse(from start: Int, input: () -> String?) {
        guard !entries.isEmpty else { return Output.line("run \(run) has no events") }
        var k = min(max(0, start), entries.count - 1)
        show(k)
        while let command = input()?.trimmingCharacters(in: .whitespaces) {
            switch command.first {
            case nil, "n": k = min(k + 1, entries.count - 1)
            case "p": k = max(k - 1, 0)
            case "q": return
            case "g":
                if let seq = Int64(command.dropFirst().trimmingCharacters(in: .whitespaces)),
                    let at = entries.firstIndex(where: { $0.seq >= seq })
                {
                    k = at
                } else {
                    Output.line("no event at or after that seq")
                    continue
                }
            case "s":
                let id = command.dropFirst().trimmingCharacters(in: .whitespaces)
                guard let at = events.firstIndex(where: { $0.dataString("step_id") == id }) else {
                    Output.line("no event of step \(id)")
                    continue
                }
                k = at
            case "/":
                let text = String(command.dropFirst())
                guard let at = events.indices.first(where: { $0 > k && events[$0].jsonLine.contains(text) }) else {
                    Output.line("no later event holds \(text)")
                    continue
                }
                k = at
            default:
                Output.line(Self.help)
                continue
            }
            show(k)
        }
    }

    private func show(_ k: Int) {
        let entry = entries[k]
        var state = PlanState(run: run)
        let projection = PlanProjection()
        for e in events[...k] { projection.apply(&state, e) }
        var lines = ["── event \(entry.seq) of \(entries.last?.seq ?? 0): \(entry.kind) by \(entry.actor ?? "-") at \(entry.ts)"]
        if let v = entry.planVersion { lines.append("plan v\(v.from.map(String.init) ?? "-") → v\(v.to.map(String.init) ?? "-")") }
        for (id, c) in entry.steps.sorted(by: { $0.key < $1.key }) { lines.append("\(id): \(c.from ?? "-") → \(c.to ?? "-")") }
        lines.append(TextTable.clip(events[k].jsonLine, 300))
        lines.append("")
        lines.append(PlanTree.render(state))
        lines.append("\(entry.tokens) tokens, \(entry.costUSD.dollarText) so far")
        lines.append(Self.help)
        Output.line(lines.joined(separator: "\n"))
    }
}
