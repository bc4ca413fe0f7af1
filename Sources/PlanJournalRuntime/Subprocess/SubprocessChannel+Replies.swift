import Foundation
import PlanJournalCore
import Synchronization

/// What the channel's reader and waiter threads do: read the program's replies and hand them to
/// the calls waiting for them, and close the channel once the program has ended.
extension SubprocessChannel {
    /// Fails every waiting call with `reason`, and every later one; with ``Unread`` those the
    /// program never read: their requests start at or after `inputRead`, or were not written (they
    /// waited for their turn, and now are never written).
    static func close(_ shared: Shared, reason: String, inputRead: Int? = nil) {
        let waiting = shared.state.withLock { s in
            if s.closed == nil { s.closed = reason }
            defer {
                s.pending.removeAll()
                s.starts.removeAll()
            }
            return s.pending.map { id, continuation in (continuation, s.starts[id]) }
        }
        // The program is started again for the next call: a step's attempt that failed so may
        // be tried again.
        for (continuation, start) in waiting {
            let error = RuntimeError("subprocess", reason, retryable: true)
            let neverRead: Bool
            if let start { neverRead = inputRead.map { start >= $0 } ?? false } else { neverRead = true }
            if neverRead {
                continuation.resume(throwing: Unread(error: error, programRead: (inputRead ?? 0) > 0))
            } else {
                continuation.resume(throwing: error)
            }
        }
    }

    /// The reader thread: reads the program's output to its end, handing each reply to its call.
    static func readReplies(from output: FileHandle, shared: Shared, commandLine: String) {
        var buffer = LineBuffer(maxLineBytes: maxReplyBytes)
        var lineNumber = 0
        while true {
            let chunk = output.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let line = buffer.nextLine() {
                lineNumber += 1
                if LineBuffer.isBlank(line) { continue }
                if buffer.lastLineLength > maxReplyBytes {
                    refuse(
                        line, end: buffer.lastLineEnd, length: buffer.lastLineLength, lineNumber: lineNumber, shared: shared,
                        commandLine: commandLine)
                } else {
                    deliver(Array(line), lineNumber: lineNumber, shared: shared, commandLine: commandLine)
                }
            }
        }
        if buffer.restLength > maxReplyBytes {
            refuse(
                buffer.rest, end: buffer.restEnd, length: buffer.restLength, lineNumber: lineNumber + 1, shared: shared,
                commandLine: commandLine)
        } else if !LineBuffer.isBlank(buffer.rest) {
            // A last reply without its newline; one that does not parse was cut off as the
            // program died: its call fails with how the program ended (and may be tried again),
            // not as a reply that is not JSON.
            let line = Array(buffer.rest)
            switch ReplyLine.read(line[...]) {
            case .reply, .replyWithNonFiniteNumbers:
                deliver(line, lineNumber: lineNumber + 1, shared: shared, commandLine: commandLine)
            case .unreadable, .other:
                notify(commandLine, "stdout line \(lineNumber + 1) was cut off at the end of its output (ignored)")
            }
        }
        shared.state.withLock { $0.outputEnded = true }
        // A program that ended is named by how it ended (the waiter closes the channel then); one
        // that closed its output and keeps running fails the calls now.
        let deadline = ContinuousClock.now + .milliseconds(200)
        while shared.state.withLock({ $0.ended == nil }) && ContinuousClock.now < deadline { usleep(5_000) }
        if shared.state.withLock({ $0.ended == nil }) { close(shared, reason: "\(commandLine) closed its standard output") }
    }

    /// Waits for the program to end, ends what is left of its process group and reaps it; its
    /// calls then fail, once the reader has taken what the program wrote, or after a second (a
    /// process it started outside its group may hold its output open).
    static func awaitExit(of process: SpawnedProcess, shared: Shared, commandLine: String) {
        let termination = process.waitForEnd()
        // Before anything else is written: the requests past this point were never read.
        let inputRead = process.inputRead()
        shared.state.withLock { $0.ended = termination }
        // The processes the program started hold its output open: they end before it is waited for.
        process.reap()
        let deadline = ContinuousClock.now + .seconds(1)
        while !shared.state.withLock({ $0.outputEnded }) && ContinuousClock.now < deadline { usleep(5_000) }
        close(shared, reason: "\(commandLine) \(termination)", inputRead: inputRead)
    }

    /// The longest reply line read, as for a reply over HTTP: a program that writes more without
    /// a newline does not make planj hold it all.
    static let maxReplyBytes = 64 << 20

    /// Fails the call a reply line over ``maxReplyBytes`` answers: the one its start or its `end`
    /// (its last bytes, as written) names (a JSON library may write the id after the result);
    /// when neither does, every call waiting, as any of them may be the one (they may be tried again).
    static func refuse(
        _ line: ArraySlice<UInt8>, end: [UInt8], length: Int, lineNumber: Int, shared: Shared, commandLine: String
    ) {
        let what = "stdout line \(lineNumber) is \(length) bytes, over the \(maxReplyBytes)-byte limit for one reply"
        var id: Int?
        switch ReplyLine.read(line) {
        case .reply(let n, _), .replyWithNonFiniteNumbers(let n, _), .unreadable(let n, _, _): id = n
        case .other: id = ReplyLine.trailingID(end[...])
        }
        let waiting: [(Int, CheckedContinuation<JSONValue, any Error>)] = shared.state.withLock { s in
            let ids = id.map { [$0] } ?? Array(s.pending.keys)
            return ids.compactMap { k in
                s.starts[k] = nil
                return s.pending.removeValue(forKey: k).map { (k, $0) }
            }
        }
        guard !waiting.isEmpty else {
            notify(commandLine, what + (id.map { " and answers id \($0), which no call waits for" } ?? "") + " (ignored)")
            return
        }
        if id == nil { notify(commandLine, what + " and names no call: the calls waiting fail, to be tried again") }
        for (k, continuation) in waiting {
            let said = id == nil ? "wrote a reply too long to tell which call it answers" : "answered call \(k) with a line too long"
            continuation.resume(
                throwing: RuntimeError("subprocess_error", "\(commandLine) \(said): " + what, retryable: id == nil))
        }
    }

    /// A reply whose id no request had (`what`): it answers one of the calls waiting, which
    /// cannot tell which, so they all fail saying so (they would wait for ever).
    static func misaddressed(_ what: String, _ shared: Shared, _ commandLine: String) {
        let waiting: [(Int, CheckedContinuation<JSONValue, any Error>)] = shared.state.withLock { s in
            s.starts.removeAll()
            defer { s.pending.removeAll() }
            return s.pending.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        guard !waiting.isEmpty else {
            notify(commandLine, what + " (ignored; no call waits: a reply must carry its request's \"id\")")
            return
        }
        let ids = waiting.map { String($0.0) }.joined(separator: ", ")
        let calls = waiting.count == 1 ? "call \(ids) with its id" : "calls \(ids) with their ids"
        for (_, continuation) in waiting {
            continuation.resume(
                throwing: RuntimeError(
                    "subprocess_error", "\(commandLine) did not answer \(calls): \(what) (a reply must carry its request's \"id\")"))
        }
    }

    /// Resumes the call `line` answers with its result or error (or notes why it cannot).
    static func deliver(_ line: [UInt8], lineNumber: Int, shared: Shared, commandLine: String) {
        let id: Int
        let reply: JSONValue?
        var tooDeep = false
        switch ReplyLine.read(line[...]) {
        case .reply(let n, let value):
            (id, reply) = (n, value)
        case .replyWithNonFiniteNumbers(let n, let value):
            (id, reply) = (n, value)
            notify(commandLine, "stdout line \(lineNumber) answers id \(n) with NaN or Infinity, read as null")
        case .unreadable(let n, let why, let deep):
            (id, reply, tooDeep) = (n, nil, deep)
            notify(commandLine, "stdout line \(lineNumber) answers id \(n) but is not valid JSON: \(why)")
        case .other:
            let shown = String(decoding: line.prefix(200), as: UTF8.self)
            if let value = try? JSONValue(parsing: Array(String(decoding: line, as: UTF8.self).utf8)),
                value["result"] != nil || value["error"] != nil
            {
                misaddressed("stdout line \(lineNumber) is a reply without a request's id (id \(value["id"].map { "\($0)" } ?? "missing")): \(shown)", shared, commandLine)
                return
            }
            notify(commandLine, "stdout line \(lineNumber) is not a reply (ignored): \(shown)")
            return
        }
        let (continuation, abandoned) = shared.state.withLock { s in
            s.starts[id] = nil
            return (s.pending.removeValue(forKey: id), s.abandoned.remove(id) != nil)
        }
        guard let continuation else {
            if abandoned {
                // The answer to a call planj stopped waiting for: expected after a cancellation.
            } else if reply == nil {
                // Text that names an id but is no JSON (a log line quoting a message, say) answers
                // nothing for certain: it fails no call.
                notify(commandLine, "stdout line \(lineNumber) is not a reply, and no call waits for id \(id) (ignored)")
            } else if id >= shared.state.withLock({ $0.nextID }) || id < 1 {
                misaddressed("stdout line \(lineNumber) answers id \(id), which no request had", shared, commandLine)
            } else {
                // A late answer to a call that stopped waiting (cancelled, timed out).
                notify(commandLine, "stdout line \(lineNumber) answers id \(id), which no call waits for (ignored)")
            }
            return
        }
        guard let reply else {
            // As a reply the program's end cut off: the program said nothing of whether to try
            // again (a model's text written into the line unescaped may come out right next time).
            // One nested past planj's limit is valid JSON the program will write again: not retried.
            continuation.resume(
                throwing: RuntimeError(
                    "subprocess_error",
                    "\(commandLine) answered call \(id) with a line that is "
                        + (tooDeep ? "nested deeper than \(JSONSyntaxError.nestingLimit) levels, planj's limit" : "not valid JSON"),
                    retryable: !tooDeep))
            return
        }
        if let error = reply["error"], error != .null {
            // Model calls made before the failure (`calls`, as in results) cost tokens all the
            // same; ``call(_:_:)`` names their purpose after the method when they do not.
            continuation.resume(
                throwing: RuntimeError(
                    error["type"]?.stringValue ?? "subprocess_error",
                    error["message"]?.stringValue ?? error.textValue ?? "error",
                    retryable: error["retryable"]?.boolValue ?? false,
                    calls: (error["calls"]?.arrayValue ?? []).compactMap { ModelCall(wire: $0, purpose: "") }))
        } else {
            continuation.resume(returning: reply["result"] ?? .null)
        }
    }
}
