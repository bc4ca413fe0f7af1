import Foundation

/// Escaping for text that comes from agents (untrusted) and goes into the HTML report.
///
/// Every string the report writes from a run, in element text or in an attribute value, goes
/// through ``text(_:)``; JSON placed in a `<script>` goes through ``scriptJSON(_:)``.
package enum HTMLEscaping {
    /// `s` safe as element text and as a double- or single-quoted attribute value: `& < > " '`
    /// become character references, control characters other than tab and newline (which HTML
    /// forbids) become U+FFFD, and bidirectional controls (U+202A–U+202E, U+2066–U+2069) are shown
    /// as `[U+202E]` instead of reordering the page.
    package static func text(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            case "\r": out += "\n"
            default:
                let v = scalar.value
                if (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) {
                    // Bidirectional embeddings, overrides and isolates would reorder the text
                    // around them (and can make a report lie): shown, not applied.
                    out += "[U+" + String(v, radix: 16, uppercase: true) + "]"
                } else if v < 0x20 || (0x7F...0x9F).contains(v) || (0xFDD0...0xFDEF).contains(v) || v & 0xFFFE == 0xFFFE {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// JSON text safe inside `<script>…</script>`: `<`, `>`, `&`, U+2028 and U+2029 become `\uXXXX`
    /// escapes (the same JSON value), so the text can never close the script element or start a
    /// comment.
    package static func scriptJSON(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The attribute `href="#anchor"` (`anchor` is escaped).
    static func href(_ anchor: String) -> String { "href=\"#" + text(anchor) + "\"" }

    /// At most `limit` characters of `s` (an ellipsis marks a cut), walking no further than needed.
    static func truncated(_ s: String, _ limit: Int) -> String {
        guard let end = s.index(s.startIndex, offsetBy: limit, limitedBy: s.endIndex), end != s.endIndex else { return s }
        return String(s[..<s.index(s.startIndex, offsetBy: max(0, limit - 1))]) + "…"
    }

    /// A number for SVG coordinates: at most one decimal, never exponent notation.
    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 10).rounded() / 10
        if r == r.rounded() && abs(r) < 1e15 { return String(Int64(r)) }
        return String(format: "%.1f", r)
    }
}
