import Crypto

/// The hash chain over a run's events: `hash(n) = SHA-256(hash(n-1) ‖ bytes(n))`, starting from
/// 32 zero bytes (or, for a fork, the parent's hash at the fork seq).
struct HashChain {
    /// The hash before a run's first event.
    static let genesis = [UInt8](repeating: 0, count: 32)

    private(set) var head: [UInt8]

    init(head: [UInt8] = HashChain.genesis) {
        self.head = head
    }

    /// Extends the chain with one event's canonical bytes.
    mutating func append(_ bytes: some DataProtocolBytes) {
        var h = SHA256()
        h.update(data: head)
        bytes.feed(into: &h)
        head = Array(h.finalize())
    }

    /// Hex of a hash, for messages and JSON.
    static func hex(_ hash: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(hash.count * 2)
        for b in hash {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Byte containers the chain can hash without copying.
protocol DataProtocolBytes {
    func feed(into hasher: inout SHA256)
}

extension Array: DataProtocolBytes where Element == UInt8 {
    func feed(into hasher: inout SHA256) { hasher.update(data: self) }
}

extension ArraySlice: DataProtocolBytes where Element == UInt8 {
    func feed(into hasher: inout SHA256) { hasher.update(data: self) }
}

extension HashChain {
    /// The 32 bytes of a hash written as 64 hex digits (either case); `nil` for anything else.
    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var k = 0
        while k < 64 {
            guard let hi = value(digits[k]), let lo = value(digits[k + 1]) else { return nil }
            out.append(hi << 4 | lo)
            k += 2
        }
        return out
    }
}
