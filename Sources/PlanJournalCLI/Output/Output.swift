import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import Synchronization

/// Writing to standard output and error, and turning errors into exit statuses.
enum Output {
    /// Writes `bytes` to standard output. When it cannot be written (a full disk, a closed or bad
    /// descriptor), the command ends with exit status 8, saying so on standard error.
    static func write(_ bytes: [UInt8]) {
        guard let failure = writeAll(bytes, to: 1) else { return }
        let error = JournalError(.io, "cannot write the output: \(failure)")
        _ = fail(error, json: errorsAsJSON.load(ordering: .relaxed), verbose: false)
        exit(error.code.exitStatus)
    }

    /// Set while a command runs with `--json`: errors found outside its body (its output cannot be
    /// written, a signal stops it) are then JSON on standard error too.
    static let errorsAsJSON = Atomic(false)

    /// Writes `error` on standard error as the JSON line `{"error":{…}}`.
    static func writeErrorJSON(_ error: ErrorJSON) {
        if let data = try? jsonEncoder().encode(["error": error]) { writeError(Array(data) + [0x0A]) }
    }

    /// Writes `bytes` to standard error; failures are ignored (there is nowhere left to report them).
    static func writeError(_ bytes: [UInt8]) {
        guard !muted.load(ordering: .acquiring) else { return }
        _ = writeAll(bytes, to: 2)
    }

    /// Set while planj ends on a signal: what its work says as it is cut off is not news.
    static let muted = Atomic(false)

    /// Writes all of `bytes` to `fd`; the reason when that fails (FileHandle's non-throwing
    /// `write` traps instead).
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        // planj opened /dev/null on it (``StandardDescriptors``): the output would be lost.
        if fd == 1 && StandardDescriptors.wasClosed(1) { return closedOutput }
        do {
            try FileHandle(fileDescriptor: fd, closeOnDealloc: false).write(contentsOf: bytes)
            return nil
        } catch {
            return ErrorReason.of(error)
        }
    }

    /// Why standard output cannot be written when it was closed at start (`planj runs >&-`).
    static let closedOutput = "standard output is closed"

    /// Prints a line on standard output, its control characters made harmless (``TerminalText``).
    static func line(_ text: String) {
        write(Array((TerminalText.safe(text) + "\n").utf8))
    }

    /// Prints a line on standard error, its control characters made harmless.
    static func error(_ text: String) {
        writeError(Array((TerminalText.safe(text) + "\n").utf8))
    }

    /// Rewrites the one-line progress display on standard error (`nil` clears it).
    static func progress(_ text: String?) {
        writeError(Array(("\r\u{1B}[K" + (text.map { TerminalText.safe(TextTable.clip($0, 100)) } ?? "")).utf8))
    }

    /// Clears the terminal and moves the cursor home (for a display redrawn in place).
    static func clearScreen() {
        write(Array("\u{1B}[H\u{1B}[2J".utf8))
    }

    /// "1 run", "2 runs": `n` and the noun, plural unless `n` is 1.
    static func count(_ n: some BinaryInteger, _ noun: String) -> String {
        "\(n) " + (n == 1 ? noun : noun + "s")
    }

    /// Whether standard error is a terminal that takes cursor movement (not `TERM=dumb`):
    /// progress is then redrawn in place on one line.
    static var stderrIsTerminal: Bool { isatty(2) == 1 && !dumbTerminal }

    /// Whether standard output is a terminal that takes cursor movement (not `TERM=dumb`).
    static var stdoutIsTerminal: Bool { isatty(1) == 1 && !dumbTerminal }

    /// Whether standard output is a terminal of any kind (for what must not reach one: binary
    /// data, control characters from runs).
    static var stdoutIsATTY: Bool { isatty(1) == 1 }

    private static var dumbTerminal: Bool { ProcessInfo.processInfo.environment["TERM"] == "dumb" }

    /// A JSON encoder with the wire's conventions: snake_case keys, sorted, no escaped slashes.
    static func jsonEncoder(pretty: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .custom(SnakeCaseKeys.convert)
        // An agent's JSON (a step's args) as the JSON it is, its large numbers with every digit.
        e.userInfo[JSONValue.structuralCoding] = true
        e.userInfo[JSONValue.numberWriter] = { (literal: String, encoder: any Encoder) throws -> Bool in
            guard let decimal = Decimal(string: literal, locale: Locale(identifier: "en_US_POSIX")), !decimal.isNaN else { return false }
            var c = encoder.singleValueContainer()
            try c.encode(decimal)
            return true
        } as JSONValue.NumberWriter
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// Prints `value` as JSON on standard output.
    static func json(_ value: some Encodable, pretty: Bool = true) {
        guard let data = try? jsonEncoder(pretty: pretty).encode(value) else { return }
        write(Array(data) + [UInt8(ascii: "\n")])
    }

    /// Prints `value` as JSON on standard output, each string ``rawPlaceholder(_:)`` `k` in it
    /// replaced by `raw[k]`, JSON text printed as it is: an agent's numbers keep their spelling
    /// (`1E400`, `-0`, `2.0`), which no `JSONEncoder` writes.
    static func json(_ value: some Encodable, splicing raw: [[UInt8]]) {
        guard let data = try? jsonEncoder(pretty: true).encode(value) else { return }
        var out: [UInt8] = []
        out.reserveCapacity(data.count + raw.reduce(0) { $0 + $1.count })
        let mark = Array(#""\u0001raw:"#.utf8)
        var i = data.startIndex
        while i < data.endIndex {
            if data[i] == UInt8(ascii: "\""), data[i...].starts(with: mark) {
                var j = i + mark.count
                var k = 0
                while j < data.endIndex, (48...57).contains(data[j]) {
                    k = k * 10 + Int(data[j] - 48)
                    j += 1
                }
                if j < data.endIndex, data[j] == UInt8(ascii: "\""), k < raw.count {
                    out += raw[k]
                    i = j + 1
                    continue
                }
            }
            out.append(data[i])
            i += 1
        }
        write(out + [UInt8(ascii: "\n")])
    }

    /// The string ``json(_:splicing:)`` replaces by its `k`th raw JSON text.
    static func rawPlaceholder(_ k: Int) -> String { "\u{1}raw:\(k)" }

    /// Prints `elements` as one pretty JSON array on standard output, as ``json(_:pretty:)`` would
    /// print `Array(elements)`, encoding and writing one element at a time: a journal's 100,000
    /// runs took 310 MB encoded as one array.
    static func jsonArray<S: Sequence>(_ elements: S) where S.Element: Encodable {
        let encoder = jsonEncoder(pretty: true)
        var out: [UInt8] = Array("[".utf8)
        var first = true
        for element in elements {
            guard let data = try? encoder.encode(element) else { continue }
            out += Array((first ? "\n" : ",\n").utf8)
            first = false
            // Nested in the array, each line of the element is indented one level more.
            out += [0x20, 0x20]
            for byte in data {
                out.append(byte)
                if byte == 0x0A { out += [0x20, 0x20] }
            }
            if out.count > 1 << 16 {
                write(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        // No element: `[]` on one line, as JSONEncoder writes an empty array.
        out += Array((first ? "]\n" : "\n]\n").utf8)
        write(out)
    }

    /// Reports a runner or adapter error; its exit status is ``RuntimeError/exitStatus``.
    static func fail(_ error: RuntimeError, json: Bool) -> ExitCode {
        if json {
            writeErrorJSON(ErrorJSON(error))
        } else {
            self.error("planj: error: \(error.message)")
        }
        return ExitCode(error.exitStatus)
    }

    /// Reports `error` on standard error (as JSON with `json`) and returns the exit code for it.
    static func fail(_ error: JournalError, json: Bool, verbose: Bool) -> ExitCode {
        if json {
            writeErrorJSON(ErrorJSON(error))
        } else {
            self.error("planj: error: " + (verbose ? error.detailedDescription() : error.description))
        }
        return ExitCode(error.code.exitStatus)
    }
}

/// Runs a command body, turning a ``JournalError`` into its message and exit status.
func reportingErrors(json: Bool = false, verbose: Bool = false, _ body: () async throws -> Void) async throws {
    Output.errorsAsJSON.store(json, ordering: .relaxed)
    do {
        try await body()
    } catch let error as JournalError {
        throw Output.fail(error, json: json, verbose: verbose)
    } catch let error as RuntimeError {
        throw Output.fail(error, json: json)
    } catch let failure as RuntimeFailure {
        throw Output.fail(failure.error, json: json)
    } catch let error as ValidationError {
        // A check made once the command runs: reported as the command's own usage error (the
        // parser would print the top-level usage line, as if no subcommand had been given).
        throw Output.fail(JournalError(.usage, error.message), json: json, verbose: verbose)
    }
}
