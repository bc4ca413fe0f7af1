import PlanJournalCore

/// Where a long JSON string was first stored: bytes `offset..<offset + length` of the line of
/// event `seq` of the run `rid`, as it was appended (format version 5).
///
/// A chunk written by ingest may hold one in place of the contents of a string that an earlier
/// event already holds (``RepeatedStrings``): LZ4 finds repeats only within 64 KiB, while system
/// prompts, plans and files fetched again repeat across runs, megabytes apart.
///
/// In a chunk's stored bytes a reference is a `0x00` byte, `rid,seq,offset,length` in ASCII
/// decimal, and another `0x00`. A valid JSON line holds no `0x00` byte (control characters in
/// strings must be escaped), so the marker cannot be mistaken for content.
struct StringReference: Hashable, Sendable {
    var rid: Int64
    var seq: Int64
    var offset: Int
    var length: Int

    static let marker: UInt8 = 0

    /// Appends the stored form.
    func write(into out: inout [UInt8]) {
        out.append(Self.marker)
        Self.appendDecimal(rid, to: &out)
        out.append(UInt8(ascii: ","))
        Self.appendDecimal(seq, to: &out)
        out.append(UInt8(ascii: ","))
        Self.appendDecimal(Int64(offset), to: &out)
        out.append(UInt8(ascii: ","))
        Self.appendDecimal(Int64(length), to: &out)
        out.append(Self.marker)
    }

    private static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        var v = value.magnitude
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        out.append(contentsOf: digits.reversed())
    }

    /// The reference whose opening marker is at `start`, and the index past its closing marker;
    /// `nil` when the bytes there are not one.
    static func read(_ bytes: [UInt8], at start: Int) -> (StringReference, end: Int)? {
        var fields: [Int64] = []
        var value: Int64 = 0
        var digits = 0
        var k = start + 1
        while k < bytes.count {
            let b = bytes[k]
            if b == UInt8(ascii: ",") || b == marker {
                guard digits > 0 else { return nil }
                fields.append(value)
                if b == marker { break }
                (value, digits) = (0, 0)
            } else {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9"), digits < 18 else { return nil }
                value = value * 10 + Int64(b - UInt8(ascii: "0"))
                digits += 1
            }
            k += 1
        }
        guard k < bytes.count, fields.count == 4, fields[2] <= Int32.max, fields[3] <= Int32.max else { return nil }
        return (StringReference(rid: fields[0], seq: fields[1], offset: Int(fields[2]), length: Int(fields[3])), k + 1)
    }

    /// `stored` with every reference replaced by the bytes `resolve` returns for it.
    /// - Throws: `.corrupt` for a damaged reference; what `resolve` throws.
    static func expand(
        _ stored: [UInt8], resolve: (StringReference) throws(JournalError) -> ArraySlice<UInt8>
    ) throws(JournalError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(stored.count * 2)
        var k = 0
        let span = stored.span
        while let at = ByteSearch.firstIndex(of: marker, in: span, k..<stored.count) {
            out.append(contentsOf: stored[k..<at])
            guard let (reference, end) = read(stored, at: at) else {
                throw JournalError(.corrupt, "a stored string reference is damaged")
            }
            let bytes = try resolve(reference)
            guard bytes.count == reference.length else {
                throw JournalError(.corrupt, "a stored string reference points past the event it names")
            }
            out.append(contentsOf: bytes)
            k = end
        }
        out.append(contentsOf: stored[k...])
        return out
    }
}
