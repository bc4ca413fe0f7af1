import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

// MARK: - runner-overhead

/// The runner's own cost per step: a chain-free plan of N steps whose executor returns at once, so
/// the time is planning, scheduling, journaling (step.started, step.observed, step.completed) and
/// the run's bookkeeping.
///
/// The journal's share: after each repetition the run's events are appended again to a new journal
/// in the runner's batches (the events of one append share their timestamp), timed alone. That is
/// the append path (group commit, SQLite, hashing, compression) without encoding the events.
struct RunnerOverhead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner-overhead",
        abstract: "Runner overhead per step with a no-op executor (journal writes included).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Steps in the plan.")
    var steps = 2_000

    @Option(help: "Steps executing at once.")
    var parallel = 4

    func run() async throws {
        let plan = (0..<steps).map { PlanStep(id: "s\($0)", description: "no-op step \($0)") }
        let planner = ClosurePlanner(name: "bench-planner") { _ in PlanProposal(steps: plan) }
        let executor = ClosureExecutor(name: "noop") { request, _ in StepAnswer(output: "ok \(request.step.id)") }
        var options = RunnerOptions()
        options.parallel = parallel
        options.maxSteps = steps * 2
        var perStep: [Double] = []
        var journalPerStep: [Double] = []
        var appendsPerStep: [Double] = []
        for rep in 1...common.reps {
            let scratch = Scratch("runner", in: common.dir)
            defer { scratch.remove(keep: common.keep) }
            let journal = try Journal(path: scratch.journalPath)
            let runner = PlanRunner(journal: journal, planner: planner, executor: executor, options: options)
            let (result, seconds) = try await timed { try await runner.start(.init(goal: "overhead")) }
            guard result.status == "succeeded" else { throw ValidationError("the run ended \(result.status)") }
            perStep.append(seconds / Double(steps) * 1e6)
            let replay = Scratch("runner-replay", in: common.dir)
            defer { replay.remove(keep: common.keep) }
            let (appendSeconds, appends) = try await Self.replayAppends(
                try journal.events(of: result.run), path: replay.journalPath)
            journalPerStep.append(appendSeconds / Double(steps) * 1e6)
            appendsPerStep.append(Double(appends) / Double(steps))
            FileHandle.standardError.write(
                Data(
                    "  rep \(rep): \(Int(perStep.last!)) µs/step; appends alone \(Int(journalPerStep.last!)) µs/step, \(String(format: "%.2f", appendsPerStep.last!)) appends/step\n"
                        .utf8))
        }
        let median = Stats.median(perStep)
        Report.print(
            [BenchResult(
                bench: "runner-overhead", parameters: ["steps": "\(steps)", "parallel": "\(parallel)"],
                figures: [
                    Figure(name: "overhead per step", value: median, unit: "µs", samples: perStep, target: "<= 100", met: median <= 100),
                    Figure(name: "steps/s", value: 1e6 / median, unit: "steps/s", samples: perStep.map { 1e6 / $0 }),
                    Figure(
                        name: "journal appends alone per step", value: Stats.median(journalPerStep), unit: "µs",
                        samples: journalPerStep),
                    Figure(name: "appends per step", value: Stats.median(appendsPerStep), unit: "", samples: appendsPerStep),
                ])], json: common.json)
    }

    /// Appends a recorded run's events to a new journal at `path` in the runner's batches (events
    /// of one append share their timestamp): the seconds it took and the number of appends.
    static func replayAppends(_ events: [JournalEvent], path: String) async throws -> (Double, Int) {
        var batches: [[JournalEvent]] = []
        for event in events {
            if let last = batches.last?.last, last.ts == event.ts {
                batches[batches.count - 1].append(event)
            } else {
                batches.append([event])
            }
        }
        let journal = try Journal(path: path)
        let (_, seconds) = try await timed {
            for batch in batches {
                _ = try await journal.append(batch, to: batch[0].run, expecting: .exactly(batch[0].seq - 1))
            }
        }
        return (seconds, batches.count)
    }
}

// MARK: - runner-dag

/// A generated DAG of sleeping steps (seeded: each step sleeps 20-120 ms and depends on up to three
/// earlier steps): the run's wall time against its critical path, with enough parallelism that
/// only dependencies limit it.
struct RunnerDAG: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner-dag",
        abstract: "A 64-step DAG of sleeping executors: wall time against the critical path.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Steps in the DAG.")
    var steps = 64

    @Option(help: "Steps executing at once (default: all).")
    var parallel: Int?

    func run() async throws {
        var rng = SplitMix64(seed: common.seed)
        var plan: [PlanStep] = []
        var sleep: [String: Int] = [:]
        var finish: [String: Int] = [:]
        for k in 0..<steps {
            let id = "s\(k)"
            var deps: Set<String> = []
            if k > 0 {
                for _ in 0..<Int(rng.next() % 4) { deps.insert("s\(Int(rng.next() % UInt64(k)))") }
            }
            let ms = 20 + Int(rng.next() % 101)
            sleep[id] = ms
            finish[id] = ms + (deps.map { finish[$0]! }.max() ?? 0)
            plan.append(PlanStep(id: id, dependsOn: deps.sorted()))
        }
        let critical = Double(finish.values.max() ?? 0)
        let fixedPlan = plan
        let durations = sleep
        let planner = ClosurePlanner(name: "bench-planner") { _ in PlanProposal(steps: fixedPlan) }
        let executor = ClosureExecutor(name: "sleeper") { request, _ in
            try await Task.sleep(for: .milliseconds(durations[request.step.id]!))
            return StepAnswer(output: "slept")
        }
        var options = RunnerOptions()
        options.parallel = parallel ?? steps
        var ratios: [Double] = []
        var walls: [Double] = []
        for rep in 1...common.reps {
            let scratch = Scratch("dag", in: common.dir)
            defer { scratch.remove(keep: common.keep) }
            let journal = try Journal(path: scratch.journalPath)
            let runner = PlanRunner(journal: journal, planner: planner, executor: executor, options: options)
            let (result, _) = try await timed { try await runner.start(.init(goal: "dag")) }
            guard result.status == "succeeded", let start = result.state.steps.compactMap(\.startedAt).min(),
                let end = result.state.steps.compactMap(\.endedAt).max()
            else { throw ValidationError("the run ended \(result.status)") }
            // From the first step's start to the last step's end: the part the critical path bounds.
            let wall = start.milliseconds(to: end)
            walls.append(wall)
            ratios.append(wall / critical)
            FileHandle.standardError.write(Data("  rep \(rep): \(Int(wall)) ms vs critical path \(Int(critical)) ms\n".utf8))
        }
        let median = Stats.median(ratios)
        Report.print(
            [BenchResult(
                bench: "runner-dag", parameters: ["steps": "\(steps)", "parallel": "\(options.parallel)", "critical_path_ms": "\(Int(critical))"],
                figures: [
                    Figure(name: "wall time", value: Stats.median(walls), unit: "ms", samples: walls),
                    Figure(name: "wall / critical path", value: median, unit: "x", samples: ratios, target: "<= 1.10", met: median <= 1.10),
                ])], json: common.json)
    }
}
