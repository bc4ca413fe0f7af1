/// A string compared byte for byte, as the journal's catalog compares run ids.
///
/// Swift's `String` equality is canonical equivalence: `é` (U+00E9) and `e` + U+0301 are one key of
/// a `[String: V]` or a `Set<String>`, though they are two distinct JSON strings (and two run ids to
/// jq, Python and SQLite). Keys of this type keep them apart. The hash is `String`'s own
/// (canonically equivalent strings hash alike, so byte-equal ones do too), which keeps ASCII ids on
/// its fast path. (Step ids stay compared as `String`s, everywhere alike: two spellings of one
/// text are one step id, and a plan holding both is refused as a duplicate.)
package struct ExactString: Hashable, Sendable {
    package let string: String

    package init(_ string: String) {
        self.string = string
    }

    package static func == (a: ExactString, b: ExactString) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }

    package func hash(into hasher: inout Hasher) { hasher.combine(string) }
}
