#!/usr/bin/env python3
"""`planj ingest` of one JSON Lines file per run, all in one command, as agents that log each run
to its own file leave them: journal size against `lz4 -9` of the whole corpus, and the time.

Each file is validated and reported on its own; consecutive small files share a transaction (up
to 16 MB or half a second), and long strings repeated across runs are stored once, because the
writer's index of them outlives each transaction.

How to run (from the repository root, after `swift build -c release`):
    python3 tools/bench/per_run_files.py                 # the 60k-event corpus, 3 repetitions
    python3 tools/bench/per_run_files.py --planj BIN --reps 5
    python3 tools/bench/per_run_files.py --directory     # `planj ingest DIR` instead of 1,340 names

It prints the corpus, then the median seconds, events/s, journal bytes (database + WAL after
the process exits) and their ratio to `lz4 -9` of the whole JSONL, with every sample. Python 3.11
standard library only; the corpus is the one `ingest_bench.py` caches.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from ingest_bench import REPO, corpus, db_bytes, log, med, run_measured  # noqa: E402


def split(path: str, out: str) -> list[str]:
    """Writes each run's lines to a file of its own, in the order runs first appear."""
    files: dict[str, list[bytes]] = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                files.setdefault(json.loads(line)["run"], []).append(line)
    names = []
    for k, lines in enumerate(files.values()):
        name = os.path.join(out, f"{k:06d}.jsonl")
        with open(name, "wb") as f:
            f.writelines(lines)
        names.append(name)
    return names


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="repetitions (figures are medians; default 3)")
    ap.add_argument("--events", type=int, default=60_000, help="events of the corpus (default 60000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--interleave", type=int, default=4)
    ap.add_argument("--planj", default=os.path.join(REPO, ".build", "release", "planj"))
    ap.add_argument("--directory", action="store_true",
                    help="name the directory of files (planj ingest DIR) instead of each file")
    ap.add_argument("--cache", default=os.environ.get("PLANJ_BENCH_CACHE", "/tmp/planj-bench-cache"))
    args = ap.parse_args()

    c = corpus(args.cache, args.seed, args.events, args.interleave)
    work = tempfile.mkdtemp(prefix="planj-per-run-")
    try:
        runs_dir = os.path.join(work, "runs")
        os.mkdir(runs_dir)
        files = split(c["path"], runs_dir)
        log(f"{len(files)} files of one run each from {os.path.basename(c['path'])}")
        seconds, sizes = [], []
        for rep in range(1, args.reps + 1):
            db = os.path.join(work, "journal.sqlite")
            inputs = [runs_dir] if args.directory else files
            r = run_measured([args.planj, "--journal", db, "ingest", "--quiet", *inputs])  # exits on failure
            seconds.append(r["seconds"])
            sizes.append(db_bytes(db))
            log(f"rep {rep}: {r['seconds']:.2f} s, {sizes[-1] / 1e6:.1f} MB")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"corpus {c['events']} events, {c['runs']} runs, {c['bytes'] / 1e6:.1f} MB, lz4 -9 "
          f"{c['lz4_9_bytes'] / 1e6:.1f} MB; {len(files)} files, one per run, in one command"
          f"{' (their directory named)' if args.directory else ''}")
    print(f"ingest        {med(seconds):.2f} s  {c['events'] / med(seconds):,.0f} ev/s  "
          f"samples {', '.join(f'{s:.2f}' for s in seconds)}")
    print(f"journal       {med(sizes) / 1e6:.2f} MB  {med(sizes) / c['lz4_9_bytes']:.3f}x lz4 -9")
    return 0


if __name__ == "__main__":
    sys.exit(main())
