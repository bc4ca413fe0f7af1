#!/usr/bin/env python3
"""Deterministic replay over a generated corpus: every run must reproduce its final state.

Generates runs with tools/gen_corpus.py (seeded), ingests them into a fresh journal, then runs
`planj replay --all --executor recorded --json` (each run re-executed as a fork with the recorded
planner and executor) and reports runs/s and how many agree; it fails if any run that started a
step does not reproduce its original.

    python3 tools/replay_corpus.py [--runs 200] [--seed 11] [--concurrency 2] [--planj PATH]

The last line is `replay-corpus: N runs, A agree, D differ, S skipped (never started a step), R runs/s`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def newest_planj():
    builds = [p for p in (os.path.join(ROOT, b, "planj") for b in (".build/release", ".build/debug")) if os.path.exists(p)]
    if not builds:
        sys.exit("replay-corpus: build planj first (swift build -c release)")
    return max(builds, key=os.path.getmtime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--planj", default=None)
    args = ap.parse_args()
    planj = args.planj or newest_planj()
    with tempfile.TemporaryDirectory(prefix="planj-replay-corpus-") as tmp:
        corpus = os.path.join(tmp, "corpus.jsonl")
        journal = os.path.join(tmp, "journal.sqlite")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--seed", str(args.seed),
                        "--runs", str(args.runs), "--interleave", "4", "--out", corpus], check=True)
        subprocess.run([planj, "--journal", journal, "ingest", "--quiet", corpus], check=True)
        started = time.monotonic()
        out = subprocess.run([planj, "--journal", journal, "replay", "--all", "--executor", "recorded", "--json",
                              "--quiet", "--concurrency", str(args.concurrency)], capture_output=True, text=True)
        seconds = time.monotonic() - started
        if out.returncode not in (0, 1):
            sys.exit(f"replay-corpus: planj replay --all failed ({out.returncode}): {out.stderr[-500:]}")
        outcomes = json.loads(out.stdout)
    skipped = [o for o in outcomes if o.get("error")]
    differ = [o for o in outcomes if not o.get("error") and not o["agree"]]
    agree = len(outcomes) - len(skipped) - len(differ)
    for o in differ:
        print(f"  {o['run']}: {o['differing']} steps differ (fork {o['fork']})")
    print(f"replay-corpus: {planj}, seed {args.seed}")
    print(f"replay-corpus: {len(outcomes)} runs, {agree} agree, {len(differ)} differ, {len(skipped)} skipped "
          f"(never started a step), {len(outcomes) / seconds:.1f} runs/s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
