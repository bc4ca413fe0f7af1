import Crypto

/// The trace and span ids of a run's OTLP export, derived from the run id (and each span's seq) so
/// that exporting the same run twice gives the same ids: re-sending a run to a collector updates
/// its trace instead of making a second one.
public enum OTLPIdentifiers {
    /// The first 16 bytes of SHA-256 of the run id, as 32 lowercase hex digits.
    public static func traceID(run: String) -> String {
        hex(nonZero(Array(SHA256.hash(data: Array(run.utf8)).prefix(16))))
    }

    /// The first 8 bytes of SHA-256 of `run ‖ 0x00 ‖ seq` (decimal), as 16 lowercase hex digits.
    /// Seq 0 names the run's root span; other spans use the seq of the event that starts them.
    public static func spanID(run: String, seq: Int64) -> String {
        hex(nonZero(Array(SHA256.hash(data: Array(run.utf8) + [0] + Array(String(seq).utf8)).prefix(8))))
    }

    /// All-zero ids are invalid in OTLP; a hash that starts with 8 or 16 zero bytes gets a 1 at the end.
    private static func nonZero(_ bytes: [UInt8]) -> [UInt8] {
        bytes.allSatisfy { $0 == 0 } ? bytes.dropLast() + [1] : bytes
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self)
    }
}
