/// A value bound to a statement's positional parameter (`?` in the journal's SQL), the same for
/// every engine.
enum SQLValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}
