extension JSONValue: Codable {
    /// The key of an object member of a ``JSONValue`` (an agent's own key, which a key encoding
    /// strategy must leave as it is: see the CLI's `Output.jsonEncoder`).
    public struct MemberKey: CodingKey, Sendable {
        public var stringValue: String
        public var intValue: Int? { nil }
        public init(stringValue: String) { self.stringValue = stringValue }
        public init?(intValue: Int) { nil }
    }

    /// Decodes a JSON value of any type (an object's members in the decoder's order).
    public init(from decoder: any Decoder) throws {
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

    /// Encodes the value as the JSON it is (not as its text in a string). A number is written as
    /// an integer when it is one of 64 bits, else as the nearest double; one beyond the doubles
    /// (`1e400`) as its text, in a string.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let text):
            var c = encoder.singleValueContainer()
            if let n = Int64(text) {
                try c.encode(n)
            } else if let n = UInt64(text) {
                try c.encode(n)
            } else if let d = Double(text), d.isFinite {
                try c.encode(d)
            } else {
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
}
