import Foundation
import PlanJournalStore

/// Order statistics of a sample.
enum Stats {
    static func median(_ xs: [Double]) -> Double { percentile(xs, 50) }

    /// The `p`-th percentile (nearest rank on the sorted sample, interpolated).
    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        let rank = p / 100 * Double(s.count - 1)
        let lo = Int(rank.rounded(.down))
        let hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (rank - Double(lo))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// CPU seconds (user + system) this process has used so far, all threads.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

/// Times `body` on the continuous clock, in seconds.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, (clock.now - start).seconds)
}

/// A fresh directory for one benchmark's journal, removed by ``remove()``.
struct Scratch {
    let directory: String

    /// Whether ``remove(keep:)`` leaves the directory in place (one given with `--reuse`).
    let reused: Bool

    init(_ name: String, in parent: String?) {
        let base = parent ?? FileManager.default.temporaryDirectory.path
        directory = base + "/planj-bench-\(name)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        reused = false
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// A directory kept between benchmark processes.
    init(reusing directory: String) {
        self.directory = directory
        reused = true
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    var journalPath: String { directory + "/journal.sqlite" }

    /// Bytes of the database and its WAL.
    var journalBytes: Int64 {
        [journalPath, journalPath + "-wal"].reduce(Int64(0)) { sum, p in
            let size = (try? FileManager.default.attributesOfItem(atPath: p)[.size] as? NSNumber)?.int64Value ?? 0
            return sum + size
        }
    }

    /// Removes the directory, or (with `keep`) says where it is.
    func remove(keep: Bool = false) {
        if reused { return }
        if keep {
            FileHandle.standardError.write(Data("kept \(journalPath)\n".utf8))
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

/// One reported figure.
struct Figure: Codable, Sendable {
    var name: String
    var value: Double
    var unit: String
    /// Every repetition's value (the figure is their median).
    var samples: [Double]
    var target: String?
    var met: Bool?
}

/// The result of one benchmark.
struct BenchResult: Codable, Sendable {
    var bench: String
    var parameters: [String: String]
    var figures: [Figure]
}

/// Prints results as a table on stdout, or as JSON with `--json`.
enum Report {
    static func print(_ results: [BenchResult], json: Bool) {
        // The machine is shared: say how busy it was when the figures were taken.
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init)
        let results = results.map { r in
            var r = r
            if let load { r.parameters["loadavg_1m"] = load }
            return r
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = (try? encoder.encode(results)) ?? Data()
            Swift.print(String(decoding: data, as: UTF8.self))
            return
        }
        for r in results {
            let params = r.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            Swift.print("\n\(r.bench)  (\(params))")
            let nameWidth = max(24, r.figures.map(\.name.count).max() ?? 0)
            for f in r.figures {
                var line = f.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                line += "  " + format(f.value).leftPad(12) + " " + f.unit.padding(toLength: 9, withPad: " ", startingAt: 0)
                if let target = f.target {
                    line += "  target \(target)" + (f.met.map { $0 ? "  MET" : "  NOT MET" } ?? "")
                }
                if f.samples.count > 1 {
                    line += "   [" + f.samples.map(format).joined(separator: ", ") + "]"
                }
                Swift.print(line)
            }
        }
    }

    static func format(_ x: Double) -> String {
        if x.isNaN { return "-" }
        if abs(x) >= 1000 { return String(Int(x.rounded())) }
        if abs(x) >= 10 { return String(format: "%.1f", x) }
        return String(format: "%.3f", x)
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

extension JournalConfiguration.Durability {
    init?(flag: String) {
        switch flag {
        case "normal": self = .normal
        case "full": self = .full
        default: return nil
        }
    }
}
