import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

/// `planj-bench`: benchmarks of the PlanJournal library API on generated plan-and-execute runs.
///
/// Every subcommand builds its events before the clock starts (deterministic, 0.5-2 KB payloads,
/// valid per the wire contract), writes to a fresh journal in a scratch directory for each
/// repetition, and reports the median of the repetitions (each repetition's value in brackets).
@main
struct PlanJournalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planj-bench",
        abstract: "Benchmarks of PlanJournal's append, group commit, rebuild and time travel.",
        discussion: """
            Examples (release build: swift build -c release --package-path tools/bench):
              planj-bench append-single --events 50000
              planj-bench append-concurrent --writers 8 --durability normal
              planj-bench append-concurrent --writers 8 --durability full
              planj-bench rebuild --events 100000
              planj-bench state-at --events 100000 --queries 2000
              planj-bench runner-overhead --steps 2000
              planj-bench runner-dag --steps 64
            Figures are medians of --reps repetitions; --json prints them as JSON.
            """,
        subcommands: [
            AppendSingle.self, AppendConcurrent.self, Rebuild.self, StateAt.self, RunnerOverhead.self, RunnerDAG.self,
        ])

    /// Runs the benchmark with the allocator tuned as `planj` tunes it.
    static func main() async {
        AllocatorTuning.apply()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every benchmark takes.
struct CommonOptions: ParsableArguments {
    @Option(help: "Repetitions; figures are their medians.")
    var reps = 5

    @Option(help: "Parent directory for scratch journals (default: the system temporary directory).")
    var dir: String?

    @Flag(help: "Print the results as JSON.")
    var json = false

    @Option(help: "Seed of the generated events.")
    var seed: UInt64 = 7

    @Flag(help: "Keep the scratch journals (their paths go to standard error).")
    var keep = false

    func validate() throws {
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
    }
}

/// The durability option of the append benchmarks.
struct DurabilityOption: ParsableArguments {
    @Option(help: "normal (synchronous=NORMAL) or full (synchronous=FULL).")
    var durability = "normal"

    func validate() throws {
        guard JournalConfiguration.Durability(flag: durability) != nil else {
            throw ValidationError("--durability must be normal or full")
        }
    }

    var value: JournalConfiguration.Durability { .init(flag: durability) ?? .normal }
}

private func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

// MARK: - append-single

struct AppendSingle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append-single",
        abstract: "One writer appending one event per Journal.append (each its own transaction).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var durability: DurabilityOption

    @Option(help: "Events appended per repetition.")
    var events = 50_000

    @Option(help: "Events per run (each run ends with run.completed).")
    var runEvents = 1_000

    func run() async throws {
        log("append-single: generating \(events) events")
        var all: [JournalEvent] = []
        var n = 0
        while all.count < events {
            let size = min(runEvents, events - all.count)
            let batches = RunScript.batches(
                run: RunScript.runID(n, prefix: "01BENCHSINGLE"), seed: common.seed &+ UInt64(n), events: max(size, 5),
                complete: true)
            all.append(contentsOf: batches.joined())
            n += 1
        }
        let rawBytes = all.reduce(0) { $0 + $1.bytes.count + 1 }
        var rates: [Double] = []
        var p50s: [Double] = []
        var p99s: [Double] = []
        var sizes: [Double] = []
        var cpus: [Double] = []
        for rep in 1...common.reps {
            let scratch = Scratch("single", in: common.dir)
            defer { scratch.remove(keep: common.keep) }
            let cpu0 = processCPUSeconds()
            let (seconds, latencies) = try await Self.appendAll(
                all, path: scratch.journalPath, configuration: JournalConfiguration(durability: durability.value))
            cpus.append((processCPUSeconds() - cpu0) / seconds)
            try await closed()
            rates.append(Double(all.count) / seconds)
            p50s.append(Stats.percentile(latencies, 50))
            p99s.append(Stats.percentile(latencies, 99))
            sizes.append(Double(scratch.journalBytes) / Double(rawBytes))
            log("  rep \(rep): \(Int(Double(all.count) / seconds)) events/s")
        }
        report(rates: rates, p50s: p50s, p99s: p99s, sizes: sizes, cpus: cpus, events: all.count, runs: n, rawBytes: rawBytes)
    }

    /// Appends every event on its own to a new journal (closed when this returns): seconds and
    /// per-append latencies in microseconds.
    static func appendAll(
        _ all: [JournalEvent], path: String, configuration: JournalConfiguration
    ) async throws -> (Double, [Double]) {
        let journal = try Journal(path: path, configuration: configuration)
        var latencies: [Double] = []
        latencies.reserveCapacity(all.count)
        let clock = ContinuousClock()
        let (_, seconds) = try await timed {
            for e in all {
                let t0 = clock.now
                _ = try await journal.append([e], to: e.run, expecting: .exactly(e.seq - 1))
                latencies.append((clock.now - t0).seconds * 1e6)
            }
        }
        return (seconds, latencies)
    }

    private func report(
        rates: [Double], p50s: [Double], p99s: [Double], sizes: [Double], cpus: [Double], events: Int, runs n: Int,
        rawBytes: Int
    ) {
        let rate = Stats.median(rates)
        Report.print(
            [
                BenchResult(
                    bench: "append-single",
                    parameters: [
                        "events": "\(events)", "runs": "\(n)", "durability": durability.durability,
                        "reps": "\(common.reps)", "jsonl_bytes": "\(rawBytes)",
                    ],
                    figures: [
                        Figure(name: "events/s", value: rate, unit: "ev/s", samples: rates, target: ">= 30000", met: rate >= 30_000),
                        Figure(name: "append latency p50", value: Stats.median(p50s), unit: "us", samples: p50s),
                        Figure(name: "append latency p99", value: Stats.median(p99s), unit: "us", samples: p99s),
                        Figure(name: "CPU seconds / wall second", value: Stats.median(cpus), unit: "cores", samples: cpus),
                        Figure(name: "db+wal after close / JSONL", value: Stats.median(sizes), unit: "x", samples: sizes),
                    ])
            ], json: common.json)
    }
}

// MARK: - append-concurrent

struct AppendConcurrent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append-concurrent",
        abstract: "Concurrent writers (tasks) appending per-step batches of 3-6 events to their own runs (group commit).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var durability: DurabilityOption

    @Option(help: "Concurrent writers, each a task appending to its own runs.")
    var writers = 8

    @Option(help: "Events appended per repetition, over all writers.")
    var events = 200_000

    @Option(help: "Events per run (each run ends with run.completed).")
    var runEvents = 500

    @Option(help: "JournalConfiguration.maxGroupCommit (default: the library's).")
    var maxGroup: Int?

    func run() async throws {
        log("append-concurrent: generating \(events) events for \(writers) writers")
        let perWriter = events / writers
        var work: [[[JournalEvent]]] = []
        var runs = 0
        for w in 0..<writers {
            var batches: [[JournalEvent]] = []
            var count = 0
            var k = 0
            while count < perWriter {
                let size = max(5, min(runEvents, perWriter - count))
                let run = RunScript.batches(
                    run: RunScript.runID(w * 100_000 + k, prefix: "01BENCHW\(w)R"),
                    seed: common.seed &+ UInt64(w * 100_000 + k), events: size, complete: true)
                count += run.reduce(0) { $0 + $1.count }
                batches.append(contentsOf: run)
                k += 1
            }
            runs += k
            work.append(batches)
        }
        let total = work.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        let appends = work.reduce(0) { $0 + $1.count }
        let rawBytes = work.joined().joined().reduce(0) { $0 + $1.bytes.count + 1 }
        var config = JournalConfiguration(durability: durability.value)
        if let maxGroup { config.maxGroupCommit = maxGroup }
        var rates: [Double] = []
        var sizes: [Double] = []
        var cpus: [Double] = []
        for rep in 1...common.reps {
            let scratch = Scratch("concurrent", in: common.dir)
            defer { scratch.remove(keep: common.keep) }
            let cpu0 = processCPUSeconds()
            let seconds = try await Self.appendConcurrently(work, path: scratch.journalPath, configuration: config)
            cpus.append((processCPUSeconds() - cpu0) / seconds)
            try await closed()
            rates.append(Double(total) / seconds)
            sizes.append(Double(scratch.journalBytes) / Double(rawBytes))
            log("  rep \(rep): \(Int(Double(total) / seconds)) events/s")
        }
        let rate = Stats.median(rates)
        let target: Double = durability.value == .full ? 50_000 : 100_000
        Report.print(
            [
                BenchResult(
                    bench: "append-concurrent",
                    parameters: [
                        "writers": "\(writers)", "events": "\(total)", "appends": "\(appends)", "runs": "\(runs)",
                        "mean_batch": String(format: "%.2f", Double(total) / Double(appends)),
                        "durability": durability.durability, "reps": "\(common.reps)",
                        "max_group": "\(config.maxGroupCommit)", "jsonl_bytes": "\(rawBytes)",
                    ],
                    figures: [
                        Figure(
                            name: "events/s", value: rate, unit: "ev/s", samples: rates, target: ">= \(Int(target))",
                            met: rate >= target),
                        Figure(name: "appends/s", value: rate * Double(appends) / Double(total), unit: "/s", samples: []),
                        Figure(name: "CPU seconds / wall second", value: Stats.median(cpus), unit: "cores", samples: cpus),
                        Figure(name: "db+wal after close / JSONL", value: Stats.median(sizes), unit: "x", samples: sizes),
                    ])
            ], json: common.json)
    }
}

extension AppendConcurrent {
    /// Runs one task per writer, each appending its batches in order, on a new journal (closed when
    /// this returns): seconds.
    static func appendConcurrently(
        _ work: [[[JournalEvent]]], path: String, configuration: JournalConfiguration
    ) async throws -> Double {
        let journal = try Journal(path: path, configuration: configuration)
        let (_, seconds) = try await timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for batches in work {
                    group.addTask {
                        for batch in batches {
                            guard let first = batch.first else { continue }
                            _ = try await journal.append(batch, to: first.run, expecting: .exactly(first.seq - 1))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return seconds
    }
}

/// Lets the group-commit thread drop its last reference, so the journal closes (SQLite checkpoints
/// and removes the WAL when its last connection closes) before its size is read.
func closed() async throws {
    try await Task.sleep(for: .milliseconds(200))
}

// MARK: - One large run

/// How the large run is written.
enum BuildMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// One append per step (3-6 events), as an agent writes: the realistic case.
    case step
    /// Appends of about 1,000 events.
    case bulk
    /// `Journal.ingest(text:)` of the whole run.
    case ingest
}

/// A journal holding one run of `events` events.
struct LargeRun {
    let scratch: Scratch
    let journal: Journal
    let run: String
    let events: Int64
    let buildSeconds: Double
    let rawBytes: Int
    let stats: JournalStats

    static func build(events: Int, replanEvery: Int, seed: UInt64, dir: String?, mode: BuildMode, reuse: String? = nil)
        async throws -> LargeRun
    {
        let run = RunScript.runID(1, prefix: "01BENCHLARGE")
        if let reuse, FileManager.default.fileExists(atPath: Scratch(reusing: reuse).journalPath) {
            let scratch = Scratch(reusing: reuse)
            let journal = try Journal(path: scratch.journalPath)
            let head = try journal.run(run).events
            log("reusing \(scratch.journalPath): \(head) events")
            return LargeRun(
                scratch: scratch, journal: journal, run: run, events: head, buildSeconds: .nan,
                rawBytes: Int(try journal.run(run).rawBytes), stats: try journal.stats())
        }
        log("building one run of \(events) events (a plan.revised every \(replanEvery) events; --build \(mode.rawValue))")
        let batches = RunScript.batches(run: run, seed: seed, events: events, complete: false, replanEvery: replanEvery)
        var appends: [[JournalEvent]] = [[]]
        switch mode {
        case .step, .ingest:
            appends = batches
        case .bulk:
            for b in batches {
                if appends[appends.count - 1].count >= 1_000 { appends.append([]) }
                appends[appends.count - 1].append(contentsOf: b)
            }
        }
        let rawBytes = batches.joined().reduce(0) { $0 + $1.bytes.count + 1 }
        let scratch = reuse.map(Scratch.init(reusing:)) ?? Scratch("large", in: dir)
        let journal = try Journal(path: scratch.journalPath)
        let seconds: Double
        if mode == .ingest {
            var text = ""
            text.reserveCapacity(rawBytes)
            for e in batches.joined() {
                text += e.jsonLine
                text += "\n"
            }
            let (report, s) = try await timed { try journal.ingest(text: text) }
            guard !report.hasRejections else { throw ValidationError("the ingest rejected the run: \(report.rejected)") }
            seconds = s
        } else {
            (_, seconds) = try await timed {
                for a in appends {
                    guard let first = a.first else { continue }
                    _ = try await journal.append(a, to: run, expecting: .exactly(first.seq - 1))
                }
            }
        }
        let head = try journal.run(run).events
        let stats = try journal.stats()
        log("  built \(head) events in \(String(format: "%.2f", seconds)) s: \(stats.chunks) chunks, \(stats.snapshots) snapshots")
        return LargeRun(
            scratch: scratch, journal: journal, run: run, events: head, buildSeconds: seconds, rawBytes: rawBytes,
            stats: stats)
    }

    /// What the benchmarks report about the run.
    var parameters: [String: String] {
        [
            "events": "\(events)", "jsonl_bytes": "\(rawBytes)", "chunks": "\(stats.chunks)",
            "snapshots": "\(stats.snapshots)", "journal_bytes": "\(scratch.journalBytes)",
        ]
    }
}

struct LargeRunOptions: ParsableArguments {
    @Option(help: "Events in the run.")
    var events = 100_000

    @Option(help: "A plan.revised (adding two steps) about every this many events; 0 for never.")
    var replanEvery = 10_000

    @Option(help: "How the run is written: step (one append per step, as an agent does), bulk (appends of ~1000 events), ingest.")
    var build: BuildMode = .step

    @Option(help: "A directory to keep the run's journal in: built there the first time, read from there after (for A/B runs of two builds).")
    var reuse: String?
}

// MARK: - rebuild

struct Rebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild a large run's PlanState from its first event: journal.fold(PlanProjection(), run:).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var large: LargeRunOptions

    func run() async throws {
        let big = try await LargeRun.build(
            events: large.events, replanEvery: large.replanEvery, seed: common.seed, dir: common.dir, mode: large.build,
            reuse: large.reuse)
        defer { big.scratch.remove(keep: common.keep) }
        let journal = big.journal
        var foldRates: [Double] = []
        var foldCPU: [Double] = []
        var decodeRates: [Double] = []
        var decodeCPU: [Double] = []
        var decodeMBs: [Double] = []
        var headMs: [Double] = []
        var reference: PlanState?
        for rep in 1...common.reps {
            var cpu0 = processCPUSeconds()
            let (state, seconds) = try await timed { try journal.fold(PlanProjection(), run: big.run) }
            foldCPU.append((processCPUSeconds() - cpu0) * 1e6 / Double(big.events))
            guard state.seq == big.events else { throw ValidationError("the fold stopped at seq \(state.seq)") }
            reference = state
            foldRates.append(Double(big.events) / seconds)
            var count = 0
            var bytes = 0
            cpu0 = processCPUSeconds()
            let (_, decodeSeconds) = try await timed {
                try journal.forEachEvent(of: big.run) { e in
                    count += 1
                    bytes += e.bytes.count
                }
            }
            decodeCPU.append((processCPUSeconds() - cpu0) * 1e6 / Double(count))
            decodeRates.append(Double(count) / decodeSeconds)
            decodeMBs.append(Double(bytes) / decodeSeconds / 1e6)
            let (_, head) = try await timed { try journal.state(of: big.run) }
            headMs.append(head * 1000)
            log("  rep \(rep): fold \(Int(Double(big.events) / seconds)) events/s")
        }
        // The snapshot path must agree with the full fold.
        let viaSnapshot = try journal.state(of: big.run)
        let agrees = viaSnapshot == reference
        if !agrees { log("WARNING: state(of:) from the snapshot differs from the fold of every event") }
        let rate = Stats.median(foldRates)
        Report.print(
            [
                BenchResult(
                    bench: "rebuild",
                    parameters: big.parameters.merging([
                        "reps": "\(common.reps)", "build": large.build.rawValue,
                        "plan_versions": "\(reference?.plans.count ?? 0)", "steps": "\(reference?.steps.count ?? 0)",
                        "snapshot_equals_fold": "\(agrees)",
                    ]) { a, _ in a },
                    figures: [
                        Figure(
                            name: "fold from seq 0 (events/s)", value: rate, unit: "ev/s", samples: foldRates,
                            target: ">= 500000", met: rate >= 500_000),
                        Figure(
                            name: "fold CPU, all threads (us/event)", value: Stats.median(foldCPU), unit: "us",
                            samples: foldCPU),
                        Figure(name: "decode only (events/s)", value: Stats.median(decodeRates), unit: "ev/s", samples: decodeRates),
                        Figure(
                            name: "decode CPU, all threads (us/event)", value: Stats.median(decodeCPU), unit: "us",
                            samples: decodeCPU),
                        Figure(name: "decode only (MB/s of JSONL)", value: Stats.median(decodeMBs), unit: "MB/s", samples: decodeMBs),
                        Figure(name: "state(of:) at head", value: Stats.median(headMs), unit: "ms", samples: headMs),
                        Figure(
                            name: "build (--build \(large.build.rawValue))", value: Double(big.events) / big.buildSeconds, unit: "ev/s",
                            samples: []),
                    ])
            ], json: common.json)
    }
}

// MARK: - state-at

struct StateAt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state-at",
        abstract: "Latency of journal.state(of:at:) at random seqs of a large run.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var large: LargeRunOptions

    @Option(help: "Queries per repetition.")
    var queries = 2_000

    @Option(help: "A repetition stops after this many seconds even if fewer queries ran.")
    var maxSeconds = 30.0

    func run() async throws {
        let big = try await LargeRun.build(
            events: large.events, replanEvery: large.replanEvery, seed: common.seed, dir: common.dir, mode: large.build,
            reuse: large.reuse)
        defer { big.scratch.remove(keep: common.keep) }
        let journal = big.journal
        var rng = SplitMix64(seed: common.seed &* 31)
        // Warm the reader pool and the page cache.
        for _ in 0..<50 { _ = try journal.state(of: big.run, at: Int64.random(in: 1...big.events, using: &rng)) }
        let clock = ContinuousClock()
        let interval = max(1, journal.configuration.snapshotInterval)
        var p50: [Double] = []
        var p90: [Double] = []
        var p99: [Double] = []
        var worstP50: [Double] = []
        var worstP99: [Double] = []
        var ran: [Double] = []
        for rep in 1...common.reps {
            var uniform: [Double] = []
            var worst: [Double] = []
            let repStart = clock.now
            for q in 0..<queries {
                if (clock.now - repStart).seconds > maxSeconds {
                    log("  rep \(rep): stopped after \(q) queries (--max-seconds \(maxSeconds))")
                    break
                }
                let seq = Int64.random(in: 1...big.events, using: &rng)
                let t0 = clock.now
                let s = try journal.state(of: big.run, at: seq)
                uniform.append((clock.now - t0).seconds * 1000)
                guard s.seq == seq else { throw ValidationError("state(of:at: \(seq)) returned seq \(s.seq)") }
                // The farthest seq from a snapshot: interval - 1 events to fold.
                if q % 4 == 0 {
                    let far = min(big.events, Int64.random(in: 0..<max(1, big.events / interval), using: &rng) * interval + interval - 1)
                    let t1 = clock.now
                    _ = try journal.state(of: big.run, at: far)
                    worst.append((clock.now - t1).seconds * 1000)
                }
            }
            ran.append(Double(uniform.count))
            p50.append(Stats.percentile(uniform, 50))
            p90.append(Stats.percentile(uniform, 90))
            p99.append(Stats.percentile(uniform, 99))
            worstP50.append(Stats.percentile(worst, 50))
            worstP99.append(Stats.percentile(worst, 99))
            log("  rep \(rep): p50 \(String(format: "%.3f", p50.last ?? 0)) ms")
        }
        // A few random seqs: the snapshot path must agree with a fold from the first event.
        var mismatches: [Int64] = []
        for _ in 0..<5 {
            let seq = Int64.random(in: 1...big.events, using: &rng)
            let fromSnapshot = try journal.state(of: big.run, at: seq)
            let folded = try journal.fold(PlanProjection(), run: big.run, upTo: seq)
            if fromSnapshot != folded { mismatches.append(seq) }
        }
        if !mismatches.isEmpty { log("WARNING: state(of:at:) differs from the full fold at seqs \(mismatches)") }
        let median50 = Stats.median(p50)
        Report.print(
            [
                BenchResult(
                    bench: "state-at",
                    parameters: big.parameters.merging([
                        "queries": "\(queries)", "reps": "\(common.reps)", "build": large.build.rawValue,
                        "snapshot_interval": "\(interval)",
                        "queries_run": ran.map { String(Int($0)) }.joined(separator: ","),
                        "snapshot_equals_fold": mismatches.isEmpty ? "true" : "false at \(mismatches)",
                    ]) { a, _ in a },
                    figures: [
                        Figure(
                            name: "p50 (uniform seq)", value: median50, unit: "ms", samples: p50, target: "<= 2",
                            met: median50 <= 2),
                        Figure(name: "p90 (uniform seq)", value: Stats.median(p90), unit: "ms", samples: p90),
                        Figure(name: "p99 (uniform seq)", value: Stats.median(p99), unit: "ms", samples: p99),
                        Figure(name: "p50 (seq = k*\(interval)+\(interval - 1))", value: Stats.median(worstP50), unit: "ms", samples: worstP50),
                        Figure(name: "p99 (seq = k*\(interval)+\(interval - 1))", value: Stats.median(worstP99), unit: "ms", samples: worstP99),
                    ])
            ], json: common.json)
    }
}
