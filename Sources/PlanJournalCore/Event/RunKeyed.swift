/// A dictionary keyed by run ids compared byte for byte, as the journal's catalog compares them.
/// Swift's `String` equality is canonical equivalence: `café` spelled with `é` (NFC) and with
/// `e` + U+0301 (NFD) are one key of a `[String: V]`, so an ingest of both merged two runs of the
/// journal into one (and lost both to a false conflict).
package struct RunKeyed<Value>: Sequence {
    private var storage: [ExactString: Value] = [:]

    package init() {}

    package subscript(run: String) -> Value? {
        get { storage[ExactString(run)] }
        set { storage[ExactString(run)] = newValue }
    }

    @discardableResult
    package mutating func removeValue(forKey run: String) -> Value? { storage.removeValue(forKey: ExactString(run)) }

    package mutating func removeAll(keepingCapacity keep: Bool = false) { storage.removeAll(keepingCapacity: keep) }

    package var count: Int { storage.count }
    package var keys: [String] { storage.keys.map(\.string) }
    package var values: some Collection<Value> { storage.values }

    package func makeIterator() -> some IteratorProtocol<(key: String, value: Value)> {
        storage.lazy.map { (key: $0.key.string, value: $0.value) }.makeIterator()
    }
}

extension RunKeyed: Sendable where Value: Sendable {}
