import NIOCore
import PostgresNIO

/// Turns a PostgreSQL result cell into an ``SQLValue``, by its type.
enum PGCellDecoder {
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
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
            // sum() of BIGINT columns; the journal casts sums, so this is a fallback.
            let text = try cell.decode(String.self)
            if let n = Int64(text) { return .int(n) }
            return .double(Double(text) ?? 0)
        default:
            return .text(try cell.decode(String.self))
        }
    }
}
