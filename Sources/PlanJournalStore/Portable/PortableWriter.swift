import PlanJournalCore

/// Writes JSON Lines as a `.pjl` file (a standard LZ4 frame) piece by piece, for lines that do
/// not come straight from a journal (a redacted export, say).
public final class PortableWriter {
    private let encoder: LZ4FrameEncoder
    private let write: ([UInt8]) throws(JournalError) -> Void

    /// Starts the frame; `level` is the LZ4 level, 0 fast to 12 (default 9, like `lz4 -9`).
    public init(level: Int32 = 9, to write: @escaping ([UInt8]) throws(JournalError) -> Void) throws(JournalError) {
        encoder = try LZ4FrameEncoder(level: level)
        self.write = write
        try write(try encoder.begin())
    }

    /// Adds one line (a newline is appended).
    public func append(line: [UInt8]) throws(JournalError) {
        let out = try encoder.update(line + [UInt8(ascii: "\n")])
        if !out.isEmpty { try write(out) }
    }

    /// Ends the frame.
    public func finish() throws(JournalError) {
        try write(try encoder.end())
    }
}
