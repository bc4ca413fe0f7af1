/// Which rules a text may match, found in one pass over its bytes: each rule's trigger literals
/// (lowercase ASCII) indexed by their first byte, each occurrence confirmed by the rule's
/// ``TriggerCheck``. Regular expressions run only for the rules that remain, and most agent text
/// leaves none.
struct TriggerIndex: Sendable {
    /// Whether some trigger starts with the two bytes (indexed `first << 8 | second`), in either
    /// case: most bytes of ordinary text start no trigger pair, and are passed at one lookup.
    private var pairs = [Bool](repeating: false, count: 1 << 16)
    /// Whether a trigger of one byte is that byte (for a text's last byte).
    private var single = [Bool](repeating: false, count: 256)
    /// The triggers starting with each byte: a range of the arrays below.
    private var byFirstByte = [Range<Int>](repeating: 0..<0, count: 256)
    private var ruleOf: [Int] = []
    private var checkOf: [TriggerCheck] = []
    private var needleRange: [Range<Int>] = []
    private var needleBytes: [UInt8] = []
    private var always: [Bool] = []
    private let triggered: Int

    init(_ rules: [RedactionRule]) {
        var entries: [(first: UInt8, rule: Int, needle: [UInt8])] = []
        for (k, rule) in rules.enumerated() {
            always.append(rule.triggers == nil)
            for needle in rule.triggers ?? [] where !needle.isEmpty { entries.append((needle[0], k, needle)) }
        }
        triggered = Set(entries.map(\.rule)).count
        entries.sort { ($0.first, $0.rule) < ($1.first, $1.rule) }
        for (k, entry) in entries.enumerated() {
            let first = Int(entry.first)
            for a in Self.cases(entry.first) {
                guard entry.needle.count > 1 else {
                    single[Int(a)] = true
                    for b in 0..<256 { pairs[Int(a) << 8 | b] = true }
                    continue
                }
                for b in Self.cases(entry.needle[1]) { pairs[Int(a) << 8 | Int(b)] = true }
            }
            byFirstByte[first] = byFirstByte[first].isEmpty ? k..<(k + 1) : byFirstByte[first].lowerBound..<(k + 1)
            ruleOf.append(entry.rule)
            checkOf.append(rules[entry.rule].check)
            needleRange.append(needleBytes.count..<(needleBytes.count + entry.needle.count))
            needleBytes += entry.needle
        }
    }

    /// For each rule, whether `text` holds one of its triggers where its check passes (ASCII
    /// letters compared case-insensitively), or the rule has none.
    func candidates(in text: String) -> [Bool] {
        var hit = always
        var left = triggered
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count && left > 0 {
            let maybe = i + 1 < bytes.count ? pairs[Int(bytes[i]) << 8 | Int(bytes[i + 1])] : single[Int(bytes[i])]
            if maybe {
                for k in byFirstByte[Int(Self.lower(bytes[i]))] where !hit[ruleOf[k]] {
                    let needle = needleRange[k]
                    guard i + needle.count <= bytes.count else { continue }
                    var j = 1
                    while j < needle.count && Self.lower(bytes[i + j]) == needleBytes[needle.lowerBound + j] { j += 1 }
                    if j == needle.count && checkOf[k].passes(bytes, trigger: i..<(i + j)) {
                        hit[ruleOf[k]] = true
                        left -= 1
                    }
                }
            }
            i += 1
        }
        return hit
    }

    private static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// A lowercase trigger byte as it may occur: itself, and its capital for a letter.
    private static func cases(_ b: UInt8) -> [UInt8] { b >= 0x61 && b <= 0x7A ? [b, b - 0x20] : [b] }
}

/// What must follow (or surround) a rule's trigger for its expression to have a chance to match
/// there: a cheap test that is never false where the expression matches, so that text which
/// only mentions a trigger (a URL, a decorator's `@`, "secrets") is not searched.
enum TriggerCheck: Sendable {
    /// The trigger alone.
    case none
    /// `NAME\\?["']?\s*[:=]`: an optional quote (escaped or not), spaces, then `:` or `=`.
    case assignment
    /// `://[^/\s:@]*:[^/\s@]+@`: a user, `:`, a password and `@` before the path.
    case urlPassword
    /// `[A-Za-z0-9._%+-]@[A-Za-z0-9-]...` with a `.` and two letters later in the domain.
    case email

    func passes(_ bytes: [UInt8], trigger: Range<Int>) -> Bool {
        switch self {
        case .none: return true
        case .assignment: return Self.assignment(bytes, from: trigger.upperBound)
        case .urlPassword: return Self.urlPassword(bytes, from: trigger.upperBound)
        case .email: return Self.email(bytes, at: trigger.lowerBound)
        }
    }

    /// ASCII spaces; a byte of a non-ASCII character might be a Unicode space, so it counts too.
    private static func maybeSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) || b >= 0x80 }

    private static func assignment(_ bytes: [UInt8], from start: Int) -> Bool {
        var i = start
        if i + 1 < bytes.count && bytes[i] == UInt8(ascii: "\\") && (bytes[i + 1] == UInt8(ascii: "\"") || bytes[i + 1] == UInt8(ascii: "'")) { i += 1 }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'")) { i += 1 }
        while i < bytes.count && maybeSpace(bytes[i]) { i += 1 }
        return i < bytes.count && (bytes[i] == UInt8(ascii: ":") || bytes[i] == UInt8(ascii: "="))
    }

    private static func urlPassword(_ bytes: [UInt8], from start: Int) -> Bool {
        var i = start
        while i < bytes.count && bytes[i] != UInt8(ascii: ":") {
            let b = bytes[i]
            if b == UInt8(ascii: "/") || b == UInt8(ascii: "@") || (b < 0x80 && maybeSpace(b)) { return false }
            i += 1
        }
        i += 1
        let password = i
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "@") { return i > password }
            if b == UInt8(ascii: "/") || (b < 0x80 && maybeSpace(b)) { return false }
            i += 1
        }
        return false
    }

    private static func email(_ bytes: [UInt8], at: Int) -> Bool {
        func local(_ b: UInt8) -> Bool { alnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "%") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") }
        func alnum(_ b: UInt8) -> Bool { letter(b) || (b >= 0x30 && b <= 0x39) }
        func letter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        guard at > 0, local(bytes[at - 1]) else { return false }
        var i = at + 1
        var letters = -1  // letters since the last '.' of the domain; -1 before any '.'
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: ".") {
                letters = 0
            } else if letter(b) {
                if letters >= 0 { letters += 1 }
                if letters >= 2 { return true }
            } else if alnum(b) || b == UInt8(ascii: "-") {
                letters = -1
            } else {
                return false
            }
            i += 1
        }
        return false
    }
}
