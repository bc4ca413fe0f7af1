#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finding one byte value in a span with the C library's `memchr`, which compares 16-32 bytes
/// per instruction: the scans that skip long strings and find line ends use it once a value is
/// long enough to pay for the call.
package enum ByteSearch {
    /// The index of the first `byte` in `span[range]`, if any.
    @inline(__always)
    package static func firstIndex(of byte: UInt8, in span: Span<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return nil }
        precondition(range.lowerBound >= 0 && range.upperBound <= span.count, "range out of the span")
        return span.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            guard let hit = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
            return UnsafeRawPointer(hit) - base
        }
    }
}
