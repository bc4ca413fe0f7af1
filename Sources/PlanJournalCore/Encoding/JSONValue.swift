/// A JSON value whose numbers keep the digits they were written with.
///
/// Keeping numbers as text means a value read from the wire and written back is the same value,
/// whatever its size or precision (`12345678901234567890`, `1e-07`).
public indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number, as its JSON literal.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// An object with its members in the order they were written.
    case object([Member])

    /// One member of a JSON object.
    public struct Member: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// Creates a member named `key`.
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value of `key` when this is an object holding it (the last one, if repeated).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number as a 64-bit integer, when it is an integer that fits.
    public var int64Value: Int64? {
        // As the envelope's integers are read: whole numbers written as floats (`2.0`) count.
        if case .number(let n) = self { return JSONNumber.int64(Array(n.utf8)[...]) }
        return nil
    }

    /// The number as a `Double`, when this is a number.
    public var doubleValue: Double? {
        if case .number(let n) = self { return Double(n) }
        return nil
    }

    /// The Boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The JSON type's name as used in error messages: `object`, `array`, `string`, `number`, `boolean`, `null`.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Parses one JSON text. An unpaired surrogate escape (`"\ud83e"`) reads as U+FFFD (see
    /// ``JSONLoneSurrogates``).
    /// - Throws: ``JSONSyntaxError`` when `bytes` is not exactly one valid JSON value.
    public init(parsing bytes: [UInt8]) throws(JSONSyntaxError) {
        do {
            self = try Self.read(bytes)
        } catch where error.reason == JSONLoneSurrogates.reason {
            guard let replaced = JSONLoneSurrogates.replaced(in: bytes) else { throw error }
            self = try Self.read(replaced)
        }
    }

    private static func read(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var reader = JSONValueReader(bytes)
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.i == bytes.count else { throw JSONSyntaxError("trailing characters", at: reader.i) }
        return value
    }

    /// Parses one JSON text from a string.
    public init(parsing text: String) throws(JSONSyntaxError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// The compact JSON text of this value.
    public var jsonText: String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the compact JSON text of this value to `out`.
    public func write(to out: inout [UInt8]) {
        _ = write(to: &out, checkingFrom: nil)
    }

    /// ``write(to:)``; with `checkingFrom` (the value's nesting depth), only while every number
    /// is a JSON number literal and containers nest less than half the parser's limit deep.
    /// - Returns: whether the text was written whole (on `false`, `out` holds a partial value).
    func write(to out: inout [UInt8], checkingFrom depth: Int?) -> Bool {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n):
            if depth != nil && !Self.isNumberLiteral(n) { return false }
            out.append(contentsOf: n.utf8)
        case .string(let s): JSONString.appendQuoted(s, to: &out)
        case .array(let elements):
            if let depth, depth >= JSONCompactor.maxDepth / 2 { return false }
            out.append(UInt8(ascii: "["))
            for (k, e) in elements.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                guard e.write(to: &out, checkingFrom: depth.map { $0 + 1 }) else { return false }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if let depth, depth >= JSONCompactor.maxDepth / 2 { return false }
            out.append(UInt8(ascii: "{"))
            for (k, m) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.appendQuoted(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                guard m.value.write(to: &out, checkingFrom: depth.map { $0 + 1 }) else { return false }
            }
            out.append(UInt8(ascii: "}"))
        }
        return true
    }
}

/// Reads `JSONValue`s with full validation (built on ``JSONCompactor``'s scanners).
struct JSONValueReader {
    private var scanner: JSONCompactor
    var i: Int { scanner.i }

    init(_ bytes: [UInt8], at start: Int = 0) {
        scanner = JSONCompactor(bytes, at: start)
    }

    mutating func skipWhitespace() { scanner.skipWhitespace() }

    mutating func readValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        scanner.skipWhitespace()
        let src = scanner.src
        guard scanner.i < src.count else { throw JSONSyntaxError("unexpected end of input, expected a value", at: scanner.i) }
        switch src[scanner.i] {
        case UInt8(ascii: "{"):
            guard depth <= JSONCompactor.maxDepth else { throw JSONSyntaxError.tooDeep(at: scanner.i) }
            scanner.i += 1
            var members: [JSONValue.Member] = []
            if scanner.consume(UInt8(ascii: "}")) { return .object(members) }
            while true {
                let key = try scanner.scanKey()
                try scanner.expect(UInt8(ascii: ":"), "':'")
                let value = try readValue(depth: depth + 1)
                members.append(.init(JSONString.decode(src, key), value))
                if scanner.consume(UInt8(ascii: ",")) { continue }
                try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
                return .object(members)
            }
        case UInt8(ascii: "["):
            guard depth <= JSONCompactor.maxDepth else { throw JSONSyntaxError.tooDeep(at: scanner.i) }
            scanner.i += 1
            var elements: [JSONValue] = []
            if scanner.consume(UInt8(ascii: "]")) { return .array(elements) }
            while true {
                elements.append(try readValue(depth: depth + 1))
                if scanner.consume(UInt8(ascii: ",")) { continue }
                try scanner.expect(UInt8(ascii: "]"), "',' or ']'")
                return .array(elements)
            }
        case UInt8(ascii: "\""):
            let range = try scanner.scanString()
            return .string(JSONString.decode(src, range))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let range = try scanner.scanNumber()
            return .number(String(decoding: src[range], as: UTF8.self))
        default:
            var sink: [UInt8] = []
            try scanner.copyValue(into: &sink, depth: depth)
            switch sink.first {
            case UInt8(ascii: "t"): return .bool(true)
            case UInt8(ascii: "f"): return .bool(false)
            default: return .null
            }
        }
    }
}
