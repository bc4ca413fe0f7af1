import Foundation
import PlanJournalCore

/// The plan as a DAG in inline SVG: one node per step the run ever planned or ran, coloured by its
/// status, in columns by dependency depth, with an edge per `depends_on`. A step's dependencies are
/// those of the latest plan version that holds it; unknown dependencies are left out (and listed
/// in the node's tooltip), and a cycle (impossible in a validated run) cannot loop the layout.
enum PlanDAGSVG {
    static let nodeWidth = 176.0
    static let nodeHeight = 44.0
    static let columnGap = 64.0
    static let rowGap = 14.0
    static let margin = 16.0

    /// One placed node (its text is clipped to the node's box).
    struct Node {
        var id: String
        var status: PlanState.StepStatus
        var deps: [String]
        var unknownDeps: [String]
        var column = 0
        var row = 0
    }

    /// Nodes with their columns (dependency depth) and rows (order within a column).
    static func layout(_ state: PlanState) -> [Node] {
        var depsOf: [String: [String]] = [:]
        for plan in state.plans {
            for step in plan.steps { depsOf[step.id] = step.dependsOn }
        }
        var nodes: [Node] = []
        var index: [String: Int] = [:]
        for step in state.steps where index[step.id] == nil {
            index[step.id] = nodes.count
            nodes.append(.init(id: step.id, status: step.status, deps: [], unknownDeps: []))
        }
        for k in nodes.indices {
            var seen = Set<String>()
            for d in depsOf[nodes[k].id] ?? [] where seen.insert(d).inserted {
                if index[d] != nil && d != nodes[k].id { nodes[k].deps.append(d) } else { nodes[k].unknownDeps.append(d) }
            }
        }
        // Depth: the longest chain of dependencies, iteratively (deep chains must not overflow the
        // stack); a node on a cycle stops at the depth it has.
        var depth = [Int](repeating: -1, count: nodes.count)
        var state3 = [UInt8](repeating: 0, count: nodes.count)  // 0 new, 1 on the stack, 2 done
        for root in nodes.indices where state3[root] == 0 {
            var stack: [(Int, Int)] = [(root, 0)]
            state3[root] = 1
            while let (k, next) = stack.last {
                let deps = nodes[k].deps
                if next < deps.count {
                    stack[stack.count - 1].1 = next + 1
                    let d = index[deps[next]]!
                    if state3[d] == 0 {
                        state3[d] = 1
                        stack.append((d, 0))
                    }
                } else {
                    depth[k] = deps.map { depth[index[$0]!] }.max().map { $0 + 1 } ?? 0
                    depth[k] = max(depth[k], 0)
                    state3[k] = 2
                    stack.removeLast()
                }
            }
        }
        // Rows: by the mean row of the dependencies (fewer crossings), then first appearance.
        let columns = (depth.max() ?? -1) + 1
        var rowOf = [Double](repeating: 0, count: nodes.count)
        var members = [[Int]](repeating: [], count: max(columns, 0))
        for k in nodes.indices { members[depth[k]].append(k) }
        for c in 0..<max(columns, 0) {
            let keyed = members[c].map { k -> (Int, Double) in
                let parents = nodes[k].deps.compactMap { index[$0] }.filter { depth[$0] < c }
                let key = parents.isEmpty ? Double(k) / 1e6 : parents.map { rowOf[$0] }.reduce(0, +) / Double(parents.count)
                return (k, key)
            }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
            for (row, (k, _)) in keyed.enumerated() {
                nodes[k].column = c
                nodes[k].row = row
                rowOf[k] = Double(row)
            }
        }
        return nodes
    }

    /// The SVG of the DAG; a node links to `anchors[step]` when there is one.
    static func render(_ state: PlanState, anchors: [String: String]) -> String {
        typealias H = HTMLEscaping
        let nodes = layout(state)
        let columns = (nodes.map(\.column).max() ?? 0) + 1
        let rows = (nodes.map(\.row).max() ?? 0) + 1
        let width = margin * 2 + Double(columns) * nodeWidth + Double(columns - 1) * columnGap
        let height = margin * 2 + Double(rows) * nodeHeight + Double(rows - 1) * rowGap
        func origin(_ n: Node) -> (Double, Double) {
            (margin + Double(n.column) * (nodeWidth + columnGap), margin + Double(n.row) * (nodeHeight + rowGap))
        }
        var position: [String: (Double, Double)] = [:]
        for n in nodes { position[n.id] = origin(n) }
        var out = [
            #"<svg class="dag" role="img" aria-label="Plan DAG" width="\#(H.num(width))" height="\#(H.num(height))" viewBox="0 0 \#(H.num(width)) \#(H.num(height))">"#,
            #"<defs><marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10Z" class="arrow"/></marker></defs>"#,
        ]
        for n in nodes {
            let (cx, cy) = origin(n)
            for d in n.deps {
                guard let (px, py) = position[d] else { continue }
                let x1 = px + nodeWidth
                let y1 = py + nodeHeight / 2
                let x2 = cx - 2
                let y2 = cy + nodeHeight / 2
                let mid = (x1 + x2) / 2
                out.append(
                    #"<path class="edge" marker-end="url(#dag-arrow)" d="M\#(H.num(x1)) \#(H.num(y1))C\#(H.num(mid)) \#(H.num(y1)) \#(H.num(mid)) \#(H.num(y2)) \#(H.num(x2)) \#(H.num(y2))"/>"#
                )
            }
        }
        let descriptions = Dictionary(state.steps.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for n in nodes {
            let (x, y) = origin(n)
            var title = "\(n.id) · \(n.status.rawValue)"
            if let d = descriptions[n.id]?.description, !d.isEmpty { title += "\n" + H.truncated(d, 300) }
            if !n.deps.isEmpty { title += "\nafter: " + n.deps.joined(separator: ", ") }
            if !n.unknownDeps.isEmpty { title += "\nunknown dependencies: " + n.unknownDeps.joined(separator: ", ") }
            let sub = [n.status.rawValue.replacingOccurrences(of: "_", with: " "), descriptions[n.id]?.tool].compactMap { $0 }
                .joined(separator: " · ")
            var node =
                #"<g class="node s-\#(n.status.rawValue)" data-step-id="\#(H.text(n.id))"><title>\#(H.text(title))</title>"#
                + #"<svg x="\#(H.num(x))" y="\#(H.num(y))" width="\#(H.num(nodeWidth))" height="\#(H.num(nodeHeight))">"#
                + #"<rect x="0.5" y="0.5" width="\#(H.num(nodeWidth - 1))" height="\#(H.num(nodeHeight - 1))" rx="7"/>"#
                + #"<text class="name" x="10" y="18">\#(H.text(H.truncated(n.id, 22)))</text>"#
                + #"<text class="sub" x="10" y="34">\#(H.text(H.truncated(sub, 28)))</text>"#
                + "</svg></g>"
            if let anchor = anchors[n.id] {
                node = #"<a class="step-link" \#(HTMLEscaping.href(anchor)) data-step="\#(anchor)">"# + node + "</a>"
            }
            out.append(node)
        }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    /// The legend: a swatch per status.
    static func legend() -> String {
        let items = PlanState.StepStatus.allCases.map {
            #"<span class="legend-item"><span class="swatch s-\#($0.rawValue)"></span>\#($0.rawValue.replacingOccurrences(of: "_", with: " "))</span>"#
        }
        return #"<div class="legend">"# + items.joined() + "</div>"
    }
}
