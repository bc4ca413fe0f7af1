extension JSONValue: Codable {
    /// The key of an object member of a ``JSONValue`` (an agent's own key, which a key encoding
    /// strategy must leave as it is: see the CLI's `Output.jsonEncoder`).
    public struct MemberKey: CodingKey, Sendable {
        public var stringValue: String
        public var intValue: Int? { nil }
        public init(stringValue: String) { self.stringValue = stringValue }
        public init?(intValue: Int) { nil }
    }

    /// Set to `true` in an encoder's or decoder's `userInfo` to code values as the JSON they are
    /// (an object as an object); otherwise a value is coded as its compact JSON text in a string,
    /// as this library always has (its saved `PlanState`s decode as before).
    public static let structuralCoding = CodingUserInfoKey(rawValue: "planjournal.json-value.structural")!

    /// In an encoder's `userInfo` with ``structuralCoding``: a ``NumberWriter`` for the numbers a
    /// double cannot hold (more than 15 significant digits; Foundation's `Decimal` holds 38).
    public static let numberWriter = CodingUserInfoKey(rawValue: "planjournal.json-value.number-writer")!

    /// Writes a number literal through the encoder; returns whether it did.
    public typealias NumberWriter = @Sendable (_ literal: String, _ encoder: any Encoder) throws -> Bool

    /// Decodes a value from its compact JSON text in a string or, with ``structuralCoding`` set, from
    /// the JSON itself (an integer that fits 64 bits keeps its digits; other numbers go through `Double`).
    /// - Throws: `DecodingError.dataCorrupted` when the string is not JSON, or the decoder's own errors.
    public init(from decoder: any Decoder) throws {
        guard decoder.userInfo[Self.structuralCoding] as? Bool == true else {
            let text = try decoder.singleValueContainer().decode(String.self)
            do {
                self = try JSONValue(parsing: text)
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
            }
            return
        }
        if let keyed = try? decoder.container(keyedBy: MemberKey.self) {
            self = .object(try keyed.allKeys.map { Member($0.stringValue, try keyed.decode(JSONValue.self, forKey: $0)) })
        } else if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !unkeyed.isAtEnd { items.append(try unkeyed.decode(JSONValue.self)) }
            self = .array(items)
        } else {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let n = try? c.decode(Int64.self) {
                self = .number(String(n))
            } else if let d = try? c.decode(Double.self) {
                self = .number(String(d))
            } else {
                self = .string(try c.decode(String.self))
            }
        }
    }

    /// Encodes the value as its compact JSON text in a string or, with ``structuralCoding`` set, as the
    /// JSON itself: a number a double cannot hold goes through ``numberWriter`` when one is set, and a
    /// number beyond the doubles (`1e400`) is written as its literal in a string.
    public func encode(to encoder: any Encoder) throws {
        guard encoder.userInfo[Self.structuralCoding] as? Bool == true else {
            var c = encoder.singleValueContainer()
            try c.encode(jsonText)
            return
        }
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let text):
            if let n = Int64(text) {
                var c = encoder.singleValueContainer()
                try c.encode(n)
            } else if let n = UInt64(text) {
                var c = encoder.singleValueContainer()
                try c.encode(n)
            } else if Self.significantDigits(text) > 15, let write = encoder.userInfo[Self.numberWriter] as? NumberWriter,
                try write(text, encoder)
            {
                return
            } else if let d = Double(text), d.isFinite {
                var c = encoder.singleValueContainer()
                try c.encode(d)
            } else {
                // Beyond the doubles (`1e400`): its literal, in a string.
                var c = encoder.singleValueContainer()
                try c.encode(text)
            }
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let members):
            var c = encoder.container(keyedBy: MemberKey.self)
            for m in members { try c.encode(m.value, forKey: MemberKey(stringValue: m.key)) }
        }
    }

    /// The significant digits of a number literal (leading and trailing zeros of its digits left out).
    static func significantDigits(_ literal: String) -> Int {
        let mantissa = literal.utf8.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
        let digits = mantissa.filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let trimmed = digits.drop { $0 == UInt8(ascii: "0") }
        return trimmed.reversed().drop { $0 == UInt8(ascii: "0") }.count
    }
}
