import Foundation
import NIOCore
import PostgresNIO

/// Turns a PostgreSQL result cell into an ``SQLValue``, by its type.
enum PGCellDecoder {
    /// Thrown for a type without a reading here (the caller asks for a cast to text).
    struct UnreadableType: Error {}

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil, cell.dataType != .void else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid:
            return .int(try cell.decode(Int64.self))
        case .float4, .float8:
            return .double(try cell.decode(Double.self))
        case .bool:
            return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            let buffer = try cell.decode(ByteBuffer.self)
            return .blob(Array(buffer.readableBytesView))
        case .numeric:
            // sum() and avg() of integer columns, and any numeric: exact digits first (it was read
            // as text, which the binary format is not, and came out 0).
            let text = try cell.decode(Decimal.self).description
            if let n = Int64(text) { return .int(n) }
            return .double(Double(text) ?? .nan)
        case .timestamp, .timestamptz:
            return .text(Self.timestamp.string(from: try cell.decode(Date.self)))
        case .date:
            return .text(String(Self.timestamp.string(from: try cell.decode(Date.self)).prefix(10)))
        case .uuid:
            return .text(try cell.decode(UUID.self).uuidString.lowercased())
        case .text, .varchar, .name, .bpchar, .json, .jsonb, .unknown:
            return .text(try cell.decode(String.self))
        default:
            throw UnreadableType()
        }
    }

    /// RFC 3339 in UTC with microseconds, as the journal writes times.
    nonisolated(unsafe) private static let timestamp: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
