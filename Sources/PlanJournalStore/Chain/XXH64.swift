/// XXH64 (Yann Collet's xxHash, 64-bit): a non-cryptographic checksum that reads memory at
/// several gigabytes a second. Chunk bodies carry it (seed 0) so that every read can check them
/// for a changed byte at a small fraction of what SHA-256 costs; tampering is the hash chain's
/// business. ``RepeatedStrings`` keys long strings with it (random seeds).
///
/// The same function as the reference implementation's `XXH64(data, len, seed)`, little-endian
/// loads on every platform.
enum XXH64 {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    /// The hash of `bytes` (seed 0).
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        hash(bytes.span.bytes, seed: 0)
    }

    /// The hash of `raw` with `seed`.
    static func hash(_ raw: RawSpan, seed: UInt64) -> UInt64 {
        let n = raw.byteCount
        var i = 0
        var h: UInt64
        if n >= 32 {
            var v1 = seed &+ p1 &+ p2
            var v2 = seed &+ p2
            var v3 = seed
            var v4 = seed &- p1
            while i <= n &- 32 {
                v1 = round(v1, load64(raw, i))
                v2 = round(v2, load64(raw, i &+ 8))
                v3 = round(v3, load64(raw, i &+ 16))
                v4 = round(v4, load64(raw, i &+ 24))
                i &+= 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ p5
        }
        h &+= UInt64(n)
        while i <= n &- 8 {
            h ^= round(0, load64(raw, i))
            h = rotl(h, 27) &* p1 &+ p4
            i &+= 8
        }
        if i <= n &- 4 {
            h ^= UInt64(UInt32(littleEndian: raw.unsafeLoadUnaligned(fromByteOffset: i, as: UInt32.self))) &* p1
            h = rotl(h, 23) &* p2 &+ p3
            i &+= 4
        }
        while i < n {
            h ^= UInt64(raw.unsafeLoad(fromByteOffset: i, as: UInt8.self)) &* p5
            h = rotl(h, 11) &* p1
            i &+= 1
        }
        h ^= h >> 33
        h &*= p2
        h ^= h >> 29
        h &*= p3
        h ^= h >> 32
        return h
    }

    /// The hash of `bytes` as eight bytes, most significant first (as xxHash prints it).
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        let h = hash(bytes)
        return (0..<8).map { UInt8(truncatingIfNeeded: h >> (56 - 8 * $0)) }
    }

    @inline(__always)
    private static func load64(_ raw: RawSpan, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: raw.unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 {
        (x << r) | (x >> (64 - r))
    }

    @inline(__always)
    private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }

    @inline(__always)
    private static func merge(_ acc: UInt64, _ v: UInt64) -> UInt64 {
        (acc ^ round(0, v)) &* p1 &+ p4
    }
}
