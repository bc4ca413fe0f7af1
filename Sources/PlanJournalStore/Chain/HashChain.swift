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
