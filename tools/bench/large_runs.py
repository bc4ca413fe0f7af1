#!/usr/bin/env python3
"""How `planj` scales with the shape of a run: each shape is generated at a size N and at twice
that size, every command is timed on both, and the growth of its time is printed. Twice the
input should take about twice the time (growth 2); a growth near 4 is a command that is
quadratic in that shape, the kind of cliff a run from an unseen generator falls off.

Shapes (each one run, or many tiny ones):
  chain      one plan of N steps, each depending on the one before, every step run
  star       N independent steps and a final one depending on all of them
  revisions  N/50 plan revisions, each changing all of 200 steps
  notes      N `note` and `x.*` events after one plan
  approvals  N/2 approval requests and decisions on one step
  tiny       N/3 runs of three events each
  huge       N/5000 observations of about 15 MB each (lines near the 16 MiB limit)

Commands: ingest (of the run and a copy of it with other outputs: twice the events), show,
show --json, verify, audit, export (jsonl, html, md, otlp, chrome), diff of the run and its
copy, replay (the audit, one entry per event), and runs --limit 10.

How to run (from the repository root, after `swift build -c release`):
    python3 tools/bench/large_runs.py                       # every shape, N = 50,000
    python3 tools/bench/large_runs.py --shapes chain,star --n 20000
    python3 tools/bench/large_runs.py --json                # the samples as JSON on stdout

Python 3.11 standard library only. Inputs and journals go to a temporary directory.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def event(run: str, seq: int, kind: str, data: dict, actor: str = "executor") -> str:
    ts = f"2026-11-24T10:{(seq // 60_000_000) % 60:02d}:{(seq // 1_000_000) % 60:02d}.{seq % 1_000_000:06d}Z"
    return json.dumps({"v": 1, "run": run, "seq": seq, "ts": ts, "kind": kind, "actor": actor, "data": data})


def chain(n: int, run: str = "r", output: str = "ok"):
    yield event(run, 1, "run.started", {"goal": "chain"}, "planner")
    steps = [{"id": f"s{i}", "depends_on": [f"s{i - 1}"] if i else []} for i in range(n)]
    yield event(run, 2, "plan.proposed", {"version": 1, "steps": steps}, "planner")
    seq = 2
    for i in range(n):
        yield event(run, seq + 1, "step.started", {"step_id": f"s{i}"})
        yield event(run, seq + 2, "step.completed", {"step_id": f"s{i}", "output": output})
        seq += 2
    yield event(run, seq + 1, "run.completed", {"status": "succeeded"}, "planner")


def star(n: int, run: str = "r", output: str = "ok"):
    yield event(run, 1, "run.started", {"goal": "star"}, "planner")
    steps = [{"id": f"s{i}"} for i in range(n)] + [{"id": "final", "depends_on": [f"s{i}" for i in range(n)]}]
    yield event(run, 2, "plan.proposed", {"version": 1, "steps": steps}, "planner")
    seq = 2
    for i in range(n):
        seq += 1
        yield event(run, seq, "step.started", {"step_id": f"s{i}"})
    for i in range(n):
        seq += 1
        yield event(run, seq, "step.completed", {"step_id": f"s{i}", "output": output})


def revisions(n: int, run: str = "r", output: str = "ok"):
    width = 200
    yield event(run, 1, "run.started", {"goal": "revisions"}, "planner")
    yield event(run, 2, "plan.proposed", {"version": 1, "steps": [{"id": f"s{i}"} for i in range(width)]}, "planner")
    seq = 2
    for v in range(2, n // 50 + 2):
        seq += 1
        changed = [{"id": f"s{i}", "description": f"{output} {v}"} for i in range(width)]
        yield event(run, seq, "plan.revised", {"version": v, "base_version": v - 1, "changed": changed, "reason": "r"}, "planner")


def notes(n: int, run: str = "r", output: str = "ok"):
    yield event(run, 1, "run.started", {"goal": "notes"}, "planner")
    for seq in range(2, n + 2):
        yield event(run, seq, "note" if seq % 2 else "x.custom", {"i": seq, "text": output * 20}, "system")


def approvals(n: int, run: str = "r", output: str = "ok"):
    yield event(run, 1, "run.started", {"goal": "approvals"}, "planner")
    yield event(run, 2, "plan.proposed", {"version": 1, "steps": [{"id": "a", "requires_approval": True}]}, "planner")
    seq = 2
    for i in range(n // 2):
        yield event(run, seq + 1, "approval.requested", {"step_id": "a", "reason": output}, "policy")
        yield event(run, seq + 2, "approval.resolved", {"step_id": "a", "decision": "denied"}, "human:bo")
        seq += 2


def tiny(n: int, run: str = "r", output: str = "ok"):
    for k in range(n // 3):
        r = f"{run}-{k:07d}"
        yield event(r, 1, "run.started", {"goal": output}, "planner")
        yield event(r, 2, "plan.proposed", {"version": 1, "steps": [{"id": "a"}]}, "planner")
        yield event(r, 3, "run.completed", {"status": "succeeded"}, "planner")


def huge(n: int, run: str = "r", output: str = "ok"):
    rng = random.Random(3)
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa"]
    yield event(run, 1, "run.started", {"goal": "huge"}, "planner")
    yield event(run, 2, "plan.proposed", {"version": 1, "steps": [{"id": "a"}]}, "planner")
    for k in range(max(1, n // 5000)):
        content = " ".join(rng.choice(words) + str(rng.randint(0, 99999)) for _ in range(1_500_000))
        yield event(run, 3 + k, "step.observed", {"step_id": "a", "content": output + content})


SHAPES = {"chain": chain, "star": star, "revisions": revisions, "notes": notes, "approvals": approvals, "tiny": tiny, "huge": huge}


def commands(planj: str, journal: str, run: str, other: str, out: str) -> list[tuple[str, list[str]]]:
    base = [planj, "--journal", journal]
    cmds = [
        ("show", base + ["show", run]),
        ("show --json", base + ["show", run, "--json"]),
        ("verify", base + ["verify"]),
        ("audit", base + ["audit", run, "--json"]),
    ]
    for fmt in ["jsonl", "html", "md", "otlp", "chrome"]:
        cmds.append((f"export {fmt}", base + ["export", run, "--format", fmt, "-o", os.path.join(out, "export." + fmt)]))
    cmds += [
        ("diff", base + ["diff", run, other, "--json"]),
        ("replay", base + ["replay", run]),
        ("runs --limit 10", base + ["runs", "--limit", "10"]),
    ]
    return cmds


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of `cmd`; exit statuses 0 and 1 (differs, findings) pass.

    The RSS comes from GNU time when there is one: `wait4` of a child forked from this process
    counts this process's memory too (the high-water mark survives exec), and the generator of
    the huge shape holds a lot of it."""
    timed = os.access("/usr/bin/time", os.X_OK)
    with tempfile.NamedTemporaryFile("r") as report, tempfile.TemporaryFile() as sink:
        full = ["/usr/bin/time", "-f", "%M", "-o", report.name] + cmd if timed else cmd
        start = time.perf_counter()
        p = subprocess.Popen(full, stdout=sink, stderr=subprocess.PIPE)
        _, err = p.communicate()
        seconds = time.perf_counter() - start
        rss = int(report.read().split()[-1]) if timed else 0
    if p.returncode not in (0, 1):
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{err.decode(errors='replace')[-2000:]}")
    return seconds, rss


def run_shape(planj: str, shape: str, n: int, work: str) -> dict[str, tuple[float, int]]:
    """Generates `shape` at `n`, and a copy of its run with other outputs to diff against (the
    next run, for tiny runs), ingests them and times every command."""
    folder = os.path.join(work, f"{shape}-{n}")
    os.makedirs(folder)
    path = os.path.join(folder, "input.jsonl")
    with open(path, "w") as f:
        for line in SHAPES[shape](n):
            f.write(line + "\n")
        if shape != "tiny":
            for line in SHAPES[shape](n, run="r.b", output="other"):
                f.write(line + "\n")
    run, other = ("r-0000000", "r-0000001") if shape == "tiny" else ("r", "r.b")
    journal = os.path.join(folder, "journal.sqlite")
    results = {"ingest": measure([planj, "--journal", journal, "ingest", "--quiet", path])}
    for name, cmd in commands(planj, journal, run, other, folder):
        results[name] = measure(cmd)
    shutil.rmtree(folder)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--planj", default=os.path.join(REPO, ".build", "release", "planj"))
    ap.add_argument("--n", type=int, default=50_000, help="the smaller size N of each shape (default 50,000)")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated (default: all)")
    ap.add_argument("--json", action="store_true", help="print the samples as JSON")
    args = ap.parse_args()
    shapes = [s for s in args.shapes.split(",") if s]
    for s in shapes:
        if s not in SHAPES:
            raise SystemExit(f"unknown shape {s}; shapes: {', '.join(SHAPES)}")
    work = tempfile.mkdtemp(prefix="planj-large-runs-")
    report = {}
    try:
        for shape in shapes:
            small = run_shape(args.planj, shape, args.n, work)
            large = run_shape(args.planj, shape, 2 * args.n, work)
            report[shape] = {name: {"n": small[name], "2n": large[name]} for name in small}
            print(f"large_runs: {shape} done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"planj on each shape at size N = {args.n:,} and 2N: seconds (peak MiB), and the growth of the time")
    print(f"{'shape':<10} {'command':<16} {'N':>16} {'2N':>16} {'growth':>7}")
    for shape, rows in report.items():
        for name, r in rows.items():
            (s1, m1), (s2, m2) = r["n"], r["2n"]
            growth = s2 / s1 if s1 > 0.05 else float("nan")
            flag = "  <- superlinear" if growth == growth and growth > 3 else ""
            print(f"{shape:<10} {name:<16} {s1:>8.2f} ({m1 // 1024:>4}) {s2:>8.2f} ({m2 // 1024:>4}) {growth:>7.2f}{flag}")


if __name__ == "__main__":
    main()
