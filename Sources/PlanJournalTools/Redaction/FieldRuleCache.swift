import Synchronization

/// Which rule, if any, hides a field by its name, remembered per name: events repeat the same
/// few names (`step_id`, `usage`, `input_tokens`…), and asking each rule's regular expression for
/// every field of every event took most of an export's time. At most ``capacity`` names are
/// kept, so keys made of data (ids, hashes) cannot make it grow without end.
final class FieldRuleCache: Sendable {
    static let capacity = 4096
    private let rules: [RedactionRule]
    private let known = Mutex<[String: Int]>([:])

    init(_ rules: [RedactionRule]) {
        self.rules = rules
    }

    /// The first rule hiding a field named `name`, if any.
    func rule(hiding name: String) -> RedactionRule? {
        if let k = known.withLock({ $0[name] }) { return k < 0 ? nil : rules[k] }
        let k = rules.firstIndex { $0.hides(field: name) }
        known.withLock { if $0.count < Self.capacity { $0[name] = k ?? -1 } }
        return k.map { rules[$0] }
    }
}
