import PlanJournalCore

/// Splits a byte stream into lines, holding at most `maxLineBytes` of one line: a longer line is
/// reported with its start and its full length, and never buffered whole. A UTF-8 byte order mark
/// at the start of the input (Windows tools write one) is skipped, as RFC 8259 allows.
struct LineSplitter {
    let maxLineBytes: Int
    /// The input's first bytes while they may still be a byte order mark; `nil` once decided.
    private var head: [UInt8]? = []
    private var pending: [UInt8] = []
    private var overflowLength: Int?
    private(set) var lineNumber = 0

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// A line: its bytes (only the start when `truncatedFrom` is set), its 1-based number, and
    /// whether it is the input's last line with no newline after it (it may be cut off).
    typealias Sink = (_ line: [UInt8], _ number: Int, _ truncatedFrom: Int?, _ unterminated: Bool) throws(JournalError) -> Void

    /// Feeds `bytes`, calling `sink` for each complete line.
    mutating func push(_ bytes: [UInt8], _ sink: Sink) throws(JournalError) {
        guard var first = head else { return try split(bytes, sink) }
        first += bytes
        if first.count < LineBuffer.byteOrderMark.count && LineBuffer.byteOrderMark.starts(with: first) {
            head = first
            return
        }
        head = nil
        try split(first.starts(with: LineBuffer.byteOrderMark) ? Array(first.dropFirst(LineBuffer.byteOrderMark.count)) : first, sink)
    }

    private mutating func split(_ bytes: [UInt8], _ sink: Sink) throws(JournalError) {
        var start = 0
        while start < bytes.count {
            guard let nl = ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: bytes, from: start) else {
                take(bytes[start...])
                return
            }
            if pending.isEmpty && overflowLength == nil && nl - start <= maxLineBytes {
                // The whole line is in this block: hand it over with one copy.
                lineNumber += 1
                try sink(Array(bytes[start..<nl]), lineNumber, nil, false)
            } else {
                take(bytes[start..<nl])
                try emit(sink, unterminated: false)
            }
            start = nl + 1
        }
    }

    /// Flushes a last line without a newline.
    mutating func finish(_ sink: Sink) throws(JournalError) {
        if let first = head {
            head = nil
            try split(first, sink)
        }
        if !pending.isEmpty || overflowLength != nil { try emit(sink, unterminated: true) }
    }

    private mutating func take(_ part: ArraySlice<UInt8>) {
        if let length = overflowLength {
            overflowLength = length + part.count
        } else if pending.count + part.count > maxLineBytes {
            overflowLength = pending.count + part.count
            pending.append(contentsOf: part.prefix(max(0, 4096 - pending.count)))
        } else {
            pending.append(contentsOf: part)
        }
    }

    private mutating func emit(_ sink: Sink, unterminated: Bool) throws(JournalError) {
        lineNumber += 1
        let line = pending
        let overflow = overflowLength
        pending = []
        overflowLength = nil
        try sink(line, lineNumber, overflow, unterminated)
    }
}

