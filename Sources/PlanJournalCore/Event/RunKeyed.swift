/// A dictionary keyed by run ids compared byte for byte, as the journal's catalog compares them.
/// Swift's `String` equality is canonical equivalence: `café` spelled with `é` (NFC) and with
/// `e` + U+0301 (NFD) are one key of a `[String: V]`, so an ingest of both merged two runs of the
/// journal into one (and lost both to a false conflict).
package struct RunKeyed<Value>: Sequence {
    /// A run id hashed and compared by its UTF-8 bytes.
    private struct Key: Hashable {
        let id: String
        static func == (a: Key, b: Key) -> Bool { a.id.utf8.elementsEqual(b.id.utf8) }
        func hash(into hasher: inout Hasher) {
            for byte in id.utf8 { hasher.combine(byte) }
        }
    }

    private var storage: [Key: Value] = [:]

    package init() {}

    package subscript(run: String) -> Value? {
        get { storage[Key(id: run)] }
        set { storage[Key(id: run)] = newValue }
    }

    @discardableResult
    package mutating func removeValue(forKey run: String) -> Value? { storage.removeValue(forKey: Key(id: run)) }

    package mutating func removeAll(keepingCapacity keep: Bool = false) { storage.removeAll(keepingCapacity: keep) }

    package var count: Int { storage.count }
    package var keys: [String] { storage.keys.map(\.id) }
    package var values: some Collection<Value> { storage.values }

    package func makeIterator() -> some IteratorProtocol<(key: String, value: Value)> {
        storage.lazy.map { (key: $0.key.id, value: $0.value) }.makeIterator()
    }
}

extension RunKeyed: Sendable where Value: Sendable {}
