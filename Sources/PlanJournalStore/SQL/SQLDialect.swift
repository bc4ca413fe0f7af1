/// The SQL engine behind a journal, for the few statements that differ between engines (schema,
/// storage size); everything else is written once in SQL both engines accept.
enum SQLDialect: Sendable, Equatable {
    case sqlite
    case postgres
}
