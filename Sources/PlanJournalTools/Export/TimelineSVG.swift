import Foundation
import PlanJournalCore

/// The HTML report's timeline as inline SVG: a row for the run (planning calls and markers),
/// a lane per parallel step with a bar per attempt coloured by outcome, ticks for tool and model
/// calls, vertical markers for plan versions, replans and approvals, and a time axis.
enum TimelineSVG {
    static let laneHeight = 28.0
    static let labelWidth = 64.0
    static let top = 30.0

    /// The SVG of `timeline`; a bar links to `anchors[step]` when there is one.
    static func render(_ timeline: RunTimeline, anchors: [String: String]) -> String {
        typealias H = HTMLEscaping
        let plot = max(1_220, min(20_000, Double(timeline.spans.count) * 8))
        let rows = timeline.lanes + 1
        let width = labelWidth + plot + 16
        let height = top + Double(rows) * laneHeight + 8
        let t0 = timeline.start.microseconds
        let duration = Double(max(timeline.end.microseconds - t0, 1_000))
        func x(_ t: Timestamp) -> Double { labelWidth + Double(t.microseconds - t0) / duration * plot }
        func y(_ lane: Int) -> Double { top + Double(lane) * laneHeight }
        var out = [
            #"<svg class="timeline" role="img" aria-label="Timeline of the run" width="\#(H.num(width))" height="\#(H.num(height))" viewBox="0 0 \#(H.num(width)) \#(H.num(height))">"#
        ]
        // Lanes.
        for row in 0..<rows {
            let cls = row % 2 == 0 ? "lane even" : "lane"
            out.append(
                #"<rect class="\#(cls)" x="0" y="\#(H.num(y(row)))" width="\#(H.num(width))" height="\#(H.num(laneHeight))"/>"#)
            out.append(
                #"<text class="lane-label" x="6" y="\#(H.num(y(row) + laneHeight / 2 + 4))">\#(row == 0 ? "run" : "lane \(row)")</text>"#)
        }
        // Axis.
        let tickStep = niceStep(duration / 1_000 / 8)
        var t = 0.0
        while t <= duration / 1_000 + tickStep / 2 {
            let px = labelWidth + t * 1_000 / duration * plot
            out.append(#"<line class="grid" x1="\#(H.num(px))" y1="\#(H.num(top - 6))" x2="\#(H.num(px))" y2="\#(H.num(height - 8))"/>"#)
            out.append(#"<text class="axis" x="\#(H.num(px))" y="\#(H.num(top - 10))" text-anchor="middle">\#(formatMs(t))</text>"#)
            t += tickStep
        }
        // Markers: behind the bars, across every lane.
        for m in timeline.markers {
            let px = x(m.at)
            let label = H.text(m.label)
            out.append(
                #"<g class="marker m-\#(m.kind.rawValue)"><title>\#(label) · \#(formatMs(Double(m.at.microseconds - t0) / 1_000))</title>"#
                    + #"<line x1="\#(H.num(px))" y1="\#(H.num(top))" x2="\#(H.num(px))" y2="\#(H.num(height - 8))"/>"#
                    + symbol(m.kind, px, y(0) + laneHeight / 2) + "</g>")
        }
        // Bars.
        for span in timeline.spans {
            let x0 = x(span.start)
            let w = max(3, x(span.end) - x0)
            let id = H.text(span.step)
            let took = formatMs(Double(span.end.microseconds - span.start.microseconds) / 1_000)
            var bar =
                #"<g class="bar o-\#(span.outcome.rawValue)"><title>\#(id) · attempt \#(span.attempt) · \#(span.outcome.rawValue) · \#(took)</title>"#
                + #"<rect x="\#(H.num(x0))" y="\#(H.num(y(span.lane) + 3))" width="\#(H.num(w))" height="\#(H.num(laneHeight - 6))" rx="3"/>"#
            let chars = Int((w - 8) / 6.6)
            if chars >= 3 {
                let name = span.attempt > 1 ? "\(span.step) #\(span.attempt)" : span.step
                // In a nested svg, which clips the label to the bar.
                bar +=
                    #"<svg x="\#(H.num(x0))" y="\#(H.num(y(span.lane)))" width="\#(H.num(w))" height="\#(H.num(laneHeight))">"#
                    + #"<text x="4" y="\#(H.num(laneHeight / 2 + 4))">\#(H.text(H.truncated(name, chars)))</text></svg>"#
            }
            bar += "</g>"
            if let anchor = anchors[span.step] {
                bar = #"<a class="step-link" \#(HTMLEscaping.href(anchor)) data-step="\#(anchor)">"# + bar + "</a>"
            }
            out.append(bar)
        }
        // Call ticks, over the bars.
        for tick in timeline.ticks {
            let px = x(tick.at)
            let cls = tick.isTool ? "tick tool" : "tick model"
            let y0 = y(tick.lane) + (tick.isTool ? laneHeight - 9 : 2)
            out.append(
                #"<line class="\#(cls)" x1="\#(H.num(px))" y1="\#(H.num(y0))" x2="\#(H.num(px))" y2="\#(H.num(y0 + 7))"><title>\#(H.text(tick.label)) · \#(formatMs(Double(tick.at.microseconds - t0) / 1_000))</title></line>"#
            )
        }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    private static func symbol(_ kind: RunTimeline.Marker.Kind, _ x: Double, _ y: Double) -> String {
        typealias H = HTMLEscaping
        switch kind {
        case .plan:
            return #"<rect x="\#(H.num(x - 5))" y="\#(H.num(y - 5))" width="10" height="10"/>"#
        case .replan:
            return #"<circle cx="\#(H.num(x))" cy="\#(H.num(y))" r="6"/>"#
        case .approval, .denial:
            return #"<path d="M\#(H.num(x)) \#(H.num(y - 7))L\#(H.num(x + 7)) \#(H.num(y))L\#(H.num(x)) \#(H.num(y + 7))L\#(H.num(x - 7)) \#(H.num(y))Z"/>"#
        }
    }

    /// A round tick interval (1, 2 or 5 times a power of ten) of at least `rough` milliseconds.
    static func niceStep(_ rough: Double) -> Double {
        guard rough.isFinite, rough > 0 else { return 1 }
        var p = 1.0
        while p * 10 <= rough { p *= 10 }
        while p > rough { p /= 10 }
        for m in [1.0, 2, 5, 10] where p * m >= rough { return p * m }
        return p * 10
    }

    /// `850ms`, `1.5s`, `2m05s`, `1h02m`.
    static func formatMs(_ ms: Double) -> String {
        guard ms.isFinite, ms >= 0, ms < 1e15 else { return "-" }
        if ms < 1_000 { return "\(Int(ms.rounded()))ms" }
        if ms < 60_000 {
            let tenths = Int((ms / 100).rounded())
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        let s = Int(ms / 1_000)
        if s < 3_600 { return "\(s / 60)m" + pad(s % 60) + "s" }
        return "\(s / 3_600)h" + pad(s / 60 % 60) + "m"
    }

    private static func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
