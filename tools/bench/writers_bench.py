#!/usr/bin/env python3
"""Concurrent writers: N `planj ingest` (or, with --mode append, `planj append`) processes writing
disjoint runs into one journal at once, on SQLite and on PostgreSQL, side by side (issue #6).

For each backend and each N in --writers (default 1,4,8):
  * N corpora of --events-per-writer events each, from tools/gen_corpus.py with seeds 1000+k (so
    their runs are disjoint), cached under --cache;
  * a fresh journal (a new SQLite file; a new PostgreSQL database made with psql), migrated first
    (`planj migrate`) so that schema creation is not timed;
  * the N processes are started together; the wall time runs from the first start to the last exit
    (`planj ingest FILE`: one transaction per process; `planj append < FILE`: one per event, as
    agents append);
  * then the checks: every process exited 0, `planj stats --json` counts every event of the N
    corpora (nothing lost), and `planj verify --json` passes.
With --reps R (default 1) each measurement is repeated R times, each on a fresh journal; every
repetition is printed to standard error as it ends, and the row gives the median events/s with the
samples in brackets. It prints one row per backend and N: events, median wall seconds, median
events/s, and whether the checks held in every repetition, after the 1-minute load average.

The PostgreSQL server is --postgres URL (its database is used only to create the benchmark's
databases), else one this script starts with tools/pg/start.sh --durable (fsync on) and stops.

How to run (from the repository root, after `swift build -c release`):
    python3 tools/bench/writers_bench.py                          # 1, 4, 8 writers, 3000 events each
    python3 tools/bench/writers_bench.py --writers 1,2 --events-per-writer 500 --planj .build/debug/planj
    python3 tools/bench/writers_bench.py --mode append --events-per-writer 2000
    python3 tools/bench/writers_bench.py --reps 3                 # medians of 3 fresh journals each
    python3 tools/bench/writers_bench.py --json                   # JSON on stdout instead of the table
Exits 1 when a check fails. Python 3.11 standard library only; needs psql for PostgreSQL.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(msg: str) -> None:
    print(f"writers_bench: {msg}", file=sys.stderr, flush=True)


def corpus(cache: str, seed: int, events: int) -> tuple[str, int]:
    """The cached corpus of `seed` with at least `events` events, and its line count."""
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, f"writers-{seed}-{events}.jsonl")
    if not os.path.exists(path):
        subprocess.run(
            [sys.executable, os.path.join(ROOT, "tools/gen_corpus.py"), "--seed", str(seed), "--events", str(events),
             "--interleave", "4", "--out", path + ".tmp"], check=True)
        os.replace(path + ".tmp", path)
    with open(path, "rb") as f:
        lines = sum(1 for line in f if line.strip())
    return path, lines


def planj(binary: str, journal: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "--journal", journal, *args], capture_output=True, text=True)


def new_journal(backend: str, server: str | None, tmp: str, label: str, sslmode: str = "disable") -> str:
    if backend == "sqlite":
        return os.path.join(tmp, f"{label}.sqlite")
    name = "bench_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", server, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return server.rsplit("/", 1)[0] + "/" + name + "?sslmode=" + sslmode


def measure(binary: str, journal: str, files: list[tuple[str, int]], mode: str) -> dict:
    migrated = planj(binary, journal, "migrate")
    if migrated.returncode != 0:
        raise SystemExit(f"planj migrate failed: {migrated.stderr}")
    start = time.monotonic()
    if mode == "ingest":
        procs = [subprocess.Popen([binary, "--journal", journal, "ingest", "--quiet", path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for path, _ in files]
    else:
        procs = [subprocess.Popen([binary, "--journal", journal, "append"], stdin=open(path, "rb"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for path, _ in files]
    errors = []
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            errors.append(err.strip()[-300:])
    wall = time.monotonic() - start
    expected = sum(n for _, n in files)
    stats = json.loads(planj(binary, journal, "stats", "--json").stdout or "{}")
    verify = planj(binary, journal, "verify", "--json")
    return {
        "events": expected, "stored": stats.get("events"), "seconds": round(wall, 3),
        "events_per_s": round(expected / wall) if wall > 0 else None,
        "ok": not errors and stats.get("events") == expected and verify.returncode == 0,
        "errors": errors, "verify_status": verify.returncode,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--writers", default="1,4,8")
    ap.add_argument("--events-per-writer", type=int, default=3000)
    ap.add_argument("--mode", choices=["ingest", "append"], default="ingest")
    ap.add_argument("--postgres", help="a server URL (default: start one with tools/pg/start.sh --durable)")
    ap.add_argument("--sslmode", default="disable",
                    help="sslmode of the PostgreSQL journals (default disable: loopback, comparable with the "
                         "figures before TLS; prefer or require measures over TLS)")
    ap.add_argument("--planj", default=os.path.join(ROOT, ".build/release/planj"))
    ap.add_argument("--cache", default=os.environ.get("PLANJ_BENCH_CACHE", "/tmp/planj-bench-cache"))
    ap.add_argument("--reps", type=int, default=1, help="repetitions per measurement (median reported)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not os.access(a.planj, os.X_OK):
        raise SystemExit(f"no planj at {a.planj} (swift build -c release, or --planj PATH)")
    counts = [int(n) for n in a.writers.split(",")]
    files = [corpus(a.cache, 1000 + k, a.events_per_writer) for k in range(max(counts))]
    server, pg_dir = a.postgres, None
    if server is None:
        pg_dir = tempfile.mkdtemp(prefix="planj-bench-pg.")
        server = subprocess.run(["bash", os.path.join(ROOT, "tools/pg/start.sh"), "--durable", pg_dir],
                                check=True, capture_output=True, text=True).stdout.strip()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="planj-writers-") as tmp:
            for n in counts:
                for backend in ("sqlite", "postgres"):
                    samples = []
                    for rep_no in range(1, a.reps + 1):
                        journal = new_journal(backend, server, tmp, f"{backend}-{n}-{rep_no}", a.sslmode)
                        r = measure(a.planj, journal, files[:n], a.mode)
                        log(f"{backend}: {n} writers, rep {rep_no}: {r['events_per_s']} events/s "
                            f"({r['seconds']} s){'' if r['ok'] else ' FAILED'}")
                        samples.append(r)
                    rates = [r["events_per_s"] or 0 for r in samples]
                    row = dict(samples[len(samples) // 2])
                    row.update(
                        backend=backend, writers=n, mode=a.mode, reps=a.reps,
                        events_per_s=round(statistics.median(rates)), samples=rates,
                        seconds=round(statistics.median(r["seconds"] for r in samples), 3),
                        ok=all(r["ok"] for r in samples),
                        errors=[e for r in samples for e in r["errors"]])
                    rows.append(row)
    finally:
        if pg_dir:
            subprocess.run(["bash", os.path.join(ROOT, "tools/pg/stop.sh"), pg_dir])
    if a.json:
        print(json.dumps(rows, indent=2))
    else:
        load = os.getloadavg()[0]
        print(f"planj {a.mode}, {a.events_per_writer} events per writer, medians of {a.reps}, load average {load:.2f}")
        print(f"{'writers':>7}  {'backend':<8} {'events':>8} {'seconds':>8} {'events/s':>9}  checks  samples")
        for r in rows:
            mark = "ok" if r["ok"] else f"FAILED stored={r['stored']} verify={r['verify_status']} {r['errors'][:1]}"
            print(f"{r['writers']:>7}  {r['backend']:<8} {r['events']:>8} {r['seconds']:>8} {r['events_per_s']:>9}  "
                  f"{mark}  {r['samples']}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
