/// Bytes read from a stream, cut into lines as their newlines arrive. Each byte is searched for a
/// newline once, however many reads its line spans, so a line of many megabytes costs one scan
/// instead of one per read; the bytes of finished lines are dropped once they are at least half
/// of what is held.
///
/// A line longer than the buffer's limit is not held whole: past the limit its bytes are counted
/// and dropped as they arrive, so a stream without newlines takes bounded memory. Such a line
/// comes out cut short; ``lastLineLength`` says how long it was.
package struct LineBuffer {
    private var bytes: [UInt8] = []
    /// Where the unfinished line starts.
    private var start = 0
    /// How far that line is known to hold no newline.
    private var scanned = 0
    /// The most bytes of one line kept: one more than the limit, so a line over it shows.
    private let kept: Int
    /// Bytes of the unfinished line dropped past ``kept``.
    private var dropped = 0
    /// The last bytes dropped of the unfinished line (at most ``endBytes``).
    private var droppedEnd: [UInt8] = []
    /// The length of the line ``nextLine()`` returned last, as it was in the stream.
    package private(set) var lastLineLength = 0
    /// The end of the line ``nextLine()`` returned last when it was cut short: its last
    /// ``endBytes`` bytes as they were in the stream (what a writer put last, such as an id);
    /// empty for a line kept whole.
    package private(set) var lastLineEnd: [UInt8] = []
    /// How much of the end of a line cut short is kept.
    package static let endBytes = 4096

    /// - Parameter maxLineBytes: the longest line kept whole (longer ones are cut short).
    package init(maxLineBytes: Int = .max) {
        kept = maxLineBytes == .max ? .max : maxLineBytes + 1
    }

    /// Adds bytes read from the stream.
    package mutating func append(_ data: some Collection<UInt8>) {
        if start > 0 && start * 2 >= bytes.count {
            bytes.removeSubrange(..<start)
            scanned -= start
            start = 0
        }
        bytes.append(contentsOf: data)
    }

    /// The next complete line, without its newline (cut short when it is over the limit); `nil`
    /// until one has arrived.
    package mutating func nextLine() -> ArraySlice<UInt8>? {
        guard let newline = ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: bytes.span, scanned..<bytes.count) else {
            scanned = bytes.count
            if bytes.count - start > kept {
                dropped += bytes.count - start - kept
                droppedEnd = Array((droppedEnd + bytes[(start + kept)...]).suffix(Self.endBytes))
                bytes.removeSubrange((start + kept)...)
                scanned = bytes.count
            }
            return nil
        }
        let line = bytes[start..<newline]
        lastLineLength = line.count + dropped
        lastLineEnd = dropped > 0 ? end(upTo: newline) : []
        dropped = 0
        droppedEnd = []
        start = newline + 1
        scanned = start
        return line
    }

    /// The bytes after the last newline (a last line that has no newline, at the end of the
    /// stream), cut short when it is over the limit.
    package var rest: ArraySlice<UInt8> { bytes[start...] }

    /// The length of ``rest`` as it was in the stream.
    package var restLength: Int { bytes.count - start + dropped }

    /// The end of ``rest`` as ``lastLineEnd`` is of a line.
    package var restEnd: [UInt8] { dropped > 0 ? end(upTo: bytes.count) : [] }

    /// The last ``endBytes`` of the unfinished line, cut short, through `stop`: what was dropped
    /// of it, then what came after.
    private func end(upTo stop: Int) -> [UInt8] {
        Array((droppedEnd + bytes[min(start + kept, stop)..<stop]).suffix(Self.endBytes))
    }
}
