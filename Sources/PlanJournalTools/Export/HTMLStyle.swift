/// The inline stylesheet and script of the HTML report (the page loads nothing from anywhere).
enum HTMLStyle {
    static let css = """
        :root{--ok:#2f9e5b;--bad:#d64545;--run:#3b7dd8;--pend:#9aa5b1;--wait:#e0a100;--skip:#c3c9d0;--deny:#8e3b8e;
        --ink:#1f2933;--muted:#62707d;--line:#e3e8ee;--bg:#f6f8fa;--card:#fff}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
        main{max-width:1400px;margin:0 auto;padding:20px 24px 60px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 10px}h3{font-size:14px;margin:0 0 6px}
        section.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:0 0 18px}
        code,pre{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
        pre{white-space:pre-wrap;word-break:break-word;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:6px 8px;margin:4px 0;max-height:32em;overflow:auto}
        .muted{color:var(--muted)}
        .goal{font-size:16px;margin:6px 0 12px;white-space:pre-wrap;word-break:break-word}
        .runid{color:var(--muted);font-size:12px;word-break:break-all}
        .totals{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 0}
        .total{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:6px 12px;min-width:110px}
        .total b{display:block;font-size:17px}.total span{color:var(--muted);font-size:12px}
        .answer{margin-top:12px}.answer pre{background:#eef8f1;border-color:#cfe9d8}
        .badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff;background:var(--pend);vertical-align:1px}
        .badge.s-completed,.badge.s-succeeded{background:var(--ok)}.badge.s-failed{background:var(--bad)}
        .badge.s-running{background:var(--run)}.badge.s-awaiting_approval,.badge.s-partially_succeeded{background:var(--wait)}
        .badge.s-skipped,.badge.s-cancelled{background:#8a96a3}.badge.s-denied{background:var(--deny)}
        .badge.s-removed{background:#fff;color:var(--muted);border:1px dashed var(--muted)}
        .scroll{overflow:auto;max-height:80vh;border:1px solid var(--line);border-radius:8px;background:#fff}
        svg text{font:12px system-ui,"DejaVu Sans",sans-serif}
        .lane{fill:#fff}.lane.even{fill:#f7f9fb}.lane-label{fill:var(--muted);font-size:11px}
        .grid{stroke:#e6eaef}.axis{fill:var(--muted);font-size:11px}
        .bar rect{fill:var(--pend);stroke:rgba(0,0,0,.15)}.bar text{fill:#fff;font-size:11px;font-weight:600;pointer-events:none}
        .bar.o-completed rect{fill:var(--ok)}.bar.o-failed rect{fill:var(--bad)}.bar.o-skipped rect{fill:var(--skip)}
        .bar.o-skipped text{fill:var(--ink)}.bar.o-unfinished rect{fill:var(--run);fill-opacity:.55;stroke-dasharray:4 3;stroke:var(--run)}
        .tick{stroke-width:2.5}.tick.tool{stroke:#1f2933}.tick.model{stroke:#7b4fd6}
        .marker line{stroke-width:1.5;stroke-dasharray:5 4}.marker.m-plan line{stroke:#3b7dd8}.marker.m-plan rect{fill:#3b7dd8}
        .marker.m-replan line{stroke:#e07a00}.marker.m-replan circle{fill:#e07a00}
        .marker.m-approval line{stroke:var(--ok)}.marker.m-approval path{fill:var(--ok)}
        .marker.m-denial line{stroke:var(--deny)}.marker.m-denial path{fill:var(--deny)}
        .node rect{fill:var(--pend);stroke:rgba(0,0,0,.18);stroke-width:1}.node text{fill:#fff}
        .node .name{font-weight:700;font-size:12.5px}.node .sub{font-size:11px;opacity:.92}
        .node.s-completed rect{fill:var(--ok)}.node.s-failed rect{fill:var(--bad)}.node.s-running rect{fill:var(--run)}
        .node.s-awaiting_approval rect{fill:var(--wait)}.node.s-denied rect{fill:var(--deny)}
        .node.s-skipped rect{fill:var(--skip)}.node.s-skipped text{fill:var(--ink)}
        .node.s-removed rect{fill:#fff;stroke:var(--muted);stroke-dasharray:5 4}.node.s-removed text{fill:var(--muted)}
        .node.s-pending rect{fill:#e9edf1;stroke:var(--pend)}.node.s-pending text{fill:var(--ink)}
        a.step-link:hover rect,a.step-link:focus rect{stroke:var(--ink);stroke-width:2.5}
        .edge{fill:none;stroke:#8795a3;stroke-width:1.4}.arrow{fill:#8795a3}
        .legend{display:flex;flex-wrap:wrap;gap:14px;margin:8px 0 10px;font-size:12.5px;color:var(--muted)}
        .legend-item{display:inline-flex;align-items:center;gap:6px}
        .swatch{display:inline-block;width:14px;height:14px;border-radius:4px;background:var(--pend);border:1px solid rgba(0,0,0,.15)}
        .swatch.s-completed{background:var(--ok)}.swatch.s-failed{background:var(--bad)}.swatch.s-running{background:var(--run)}
        .swatch.s-awaiting_approval{background:var(--wait)}.swatch.s-denied{background:var(--deny)}.swatch.s-skipped{background:var(--skip)}
        .swatch.s-pending{background:#e9edf1}.swatch.s-removed{background:#fff;border:1px dashed var(--muted)}
        .swatch.o-unfinished{background:var(--run);opacity:.55}.swatch.tick-tool{width:3px;background:#1f2933}
        .swatch.tick-model{width:3px;background:#7b4fd6}.swatch.m-replan{border-radius:50%;background:#e07a00}
        .swatch.m-plan{background:#3b7dd8}.swatch.m-approval{transform:rotate(45deg) scale(.8);background:var(--ok)}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-size:12px;color:var(--muted);font-weight:600}td.msg{word-break:break-word}
        .sev{font-weight:700;font-size:12px;text-transform:uppercase}.sev-error{color:var(--bad)}.sev-warning{color:#b07d00}.sev-info{color:var(--run)}
        .version{border-left:3px solid var(--line);padding:2px 0 2px 12px;margin:0 0 14px}
        .plan-steps{margin:4px 0;padding-left:22px}.diff{list-style:none;padding:0;margin:4px 0}.diff li{margin:3px 0}
        .tag{display:inline-block;font-size:11px;font-weight:700;border-radius:4px;padding:0 6px;margin-right:4px;text-transform:uppercase}
        .added .tag{background:#ddf4e4;color:#1d6b3b}.removed .tag{background:#fde2e2;color:#9b2c2c}.changed .tag{background:#fdf1d0;color:#805b00}
        .tag.gate{background:#fdf1d0;color:#805b00}
        .linediff span{display:block}.linediff .ins{background:#e6f6ea;color:#1d6b3b}.linediff .del{background:#fdecec;color:#9b2c2c}
        details.step{border:1px solid var(--line);border-left:5px solid var(--pend);border-radius:8px;margin:0 0 8px;background:#fff}
        details.step.s-completed{border-left-color:var(--ok)}details.step.s-failed{border-left-color:var(--bad)}
        details.step.s-running{border-left-color:var(--run)}details.step.s-denied{border-left-color:var(--deny)}
        details.step.s-awaiting_approval{border-left-color:var(--wait)}details.step.s-removed{border-left-style:dashed}
        details.step>summary{cursor:pointer;padding:8px 12px;list-style-position:inside}
        details.step .body{padding:0 14px 10px 18px}
        details.step:target{box-shadow:0 0 0 3px rgba(59,125,216,.35)}
        .step-id{font-weight:700}.err-inline{color:var(--bad)}
        dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0 8px}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;word-break:break-word}
        ol.events{list-style:none;padding:0;margin:0;border-top:1px solid var(--line)}
        ol.events li{padding:5px 0;border-bottom:1px dashed var(--line)}
        .ev .at{display:inline-block;min-width:58px;color:var(--muted);font-variant-numeric:tabular-nums}.ev .seq{color:#a0aab4;font-size:11px}
        .ev-start{font-weight:600}.ev-ok{color:#1d6b3b}.ev-bad{color:#9b2c2c}
        .blk{margin:2px 0 2px 64px;color:var(--ink)}.blk .lbl{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
        details.blk>summary{cursor:pointer}
        nav.toc{font-size:13px;margin:2px 0 14px;color:var(--muted)}nav.toc a{color:var(--run);margin-right:12px;text-decoration:none}
        """

    /// Opens a step's `<details>` when a link to it is followed (the links work without it).
    static let script = """
        (function(){
          function openTarget(id){
            var el=id&&document.getElementById(id);
            if(el&&el.tagName==="DETAILS"){el.open=true;}
          }
          document.addEventListener("click",function(ev){
            var t=ev.target;
            var a=t&&t.closest?t.closest("a.step-link"):null;
            if(a){openTarget(a.getAttribute("data-step"));}
          });
          window.addEventListener("hashchange",function(){openTarget(decodeURIComponent(location.hash.slice(1)));});
          if(location.hash){openTarget(decodeURIComponent(location.hash.slice(1)));}
        })();
        """
}
