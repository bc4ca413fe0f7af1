#!/usr/bin/env python3
"""Ingest benchmark of `planj ingest` against a plain Python sqlite3 loop, journal size against
`lz4 -9`, and peak memory of `planj ingest` / `planj verify` on a 1x and a 10x corpus.

What it measures (each figure is the median of --reps repetitions, every sample is kept):
  * baseline: a plain Python `sqlite3` loop over the same JSONL -- json.loads of each line for
    run/seq/kind/ts, events grouped by run, one transaction per run with executemany, WAL,
    synchronous=NORMAL -- run as its own process (`ingest_bench.py _baseline FILE DB`), timed
    wall-clock from start to exit, like planj;
  * `planj ingest --quiet` (release binary .build/release/planj) into a fresh journal each time,
    wall-clock from start to exit; events/s and the planj/python speed ratio;
  * journal size: database + -wal after the process exits, against `lz4 -9 -c FILE | wc -c`;
  * peak RSS of `planj ingest` and `planj verify` on a 1x and a 10x corpus (6k and 60k events by
    default, 60k and 600k with --large), read per child with os.wait4 (ru_maxrss), cross-checked
    once against `/usr/bin/time -f %M`.

Corpora come from tools/gen_corpus.py (--seed 7 --interleave 4 by default) and are cached, keyed by
the generator's hash, under --cache (default $PLANJ_BENCH_CACHE, else /tmp/planj-bench-cache).
The speed and size figures use the 60k-event corpus (~106 MB, the corpus of the issue; also the
10x corpus by default, the 1x one with --large); --speed-events picks another one.

How to run (from the repository root, after `swift build -c release`):
    python3 tools/bench/ingest_bench.py                  # 6k vs 60k events, 3 repetitions
    python3 tools/bench/ingest_bench.py --large          # 60k vs 600k events (~1.1 GB corpus)
    python3 tools/bench/ingest_bench.py --reps 5 --json  # JSON on stdout instead of the table

What it prints: the corpora, then a table with one row per figure (median, unit, target and
whether it is met, the samples), including the ratios planj/python (speed), journal/lz4-9 (size)
and RSS 10x/1x (memory). Progress goes to stderr. Python 3.11 standard library only (needs the
`lz4` command line tool for the size reference).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Targets of the issue.
TARGET_SPEED_RATIO = 4.0  # planj events/s >= 4x the Python loop
TARGET_EVENTS_PER_S = 150_000
TARGET_SIZE_RATIO = 1.3  # journal <= 1.3x lz4 -9 of the whole JSONL (aim 1.0)
AIM_SIZE_RATIO = 1.0
TARGET_RSS_RATIO = 1.25  # "flat": peak RSS on the 10x corpus at most 25% above the 1x corpus


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# The baseline: a plain Python sqlite3 insert loop (runs in its own process)
# ------------------------------------------------------------------------------------------------


def baseline_ingest(path: str, db: str) -> int:
    import sqlite3

    runs: dict[str, list[tuple[str, int, str, str, bytes]]] = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if not line:
                continue
            e = json.loads(line)
            run = e["run"]
            rows = runs.get(run)
            if rows is None:
                rows = runs[run] = []
            rows.append((run, e["seq"], e["kind"], e["ts"], line))
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE IF NOT EXISTS events(run TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
        " ts TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY(run, seq))"
    )
    n = 0
    for rows in runs.values():
        con.execute("BEGIN")
        con.executemany("INSERT INTO events(run, seq, kind, ts, body) VALUES (?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
        n += len(rows)
    con.close()
    return n


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def run_measured(cmd: list[str], cwd: str | None = None) -> dict:
    """Runs `cmd` to completion; wall seconds, peak RSS (KiB, from wait4) and exit status."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = {
            "seconds": seconds,
            "rss_kb": usage.ru_maxrss,
            "rc": p.returncode,
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
        }
    if result["rc"] != 0:
        raise SystemExit(f"command failed ({result['rc']}): {' '.join(cmd)}\n{result['stderr'][-2000:]}")
    return result


def rss_via_time(cmd: list[str]) -> int | None:
    """Peak RSS (KiB) as `/usr/bin/time -f %M` reports it, or None without GNU time."""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as t:
        r = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%M", *cmd], capture_output=True)
        if r.returncode != 0:
            return None
        try:
            return int(t.read().strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None


def remove_db(db: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", "-pjlog"):
        try:
            os.remove(db + suffix)
        except FileNotFoundError:
            pass


def db_bytes(db: str) -> int:
    return sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))


def file_sha(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:10]


def corpus(cache: str, seed: int, events: int, interleave: int) -> dict:
    """The cached corpus (generated on first use) and its metadata, including `lz4 -9` size."""
    gen = os.path.join(REPO, "tools", "gen_corpus.py")
    name = f"corpus-s{seed}-e{events}-i{interleave}-g{file_sha(gen)}"
    path = os.path.join(cache, name + ".jsonl")
    meta_path = os.path.join(cache, name + ".meta.json")
    if not os.path.exists(path):
        log(f"generating {path}")
        tmp = path + ".tmp"
        subprocess.run(
            [sys.executable, gen, "--seed", str(seed), "--events", str(events), "--interleave", str(interleave),
             "--out", tmp],
            check=True,
        )
        os.replace(tmp, path)
        try:
            os.remove(meta_path)
        except FileNotFoundError:
            pass
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("bytes") == os.path.getsize(path):
            return meta
    log(f"measuring {os.path.basename(path)} (lines, runs, lz4 -9)")
    lines = 0
    runs = set()
    with open(path, "rb") as f:
        for line in f:
            lines += 1
            i = line.find(b'"run":"')
            if i >= 0:
                runs.add(line[i + 7 : line.find(b'"', i + 7)])
    lz4 = subprocess.run(
        f"lz4 -9 -c '{path}' | wc -c", shell=True, check=True, capture_output=True, text=True
    ).stdout.strip()
    meta = {
        "path": path,
        "seed": seed,
        "interleave": interleave,
        "requested_events": events,
        "events": lines,
        "runs": len(runs),
        "bytes": os.path.getsize(path),
        "lz4_9_bytes": int(lz4),
    }
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=2)
    return meta


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def git_describe() -> str:
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True)
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


# ------------------------------------------------------------------------------------------------
# The benchmark
# ------------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description="planj ingest vs a Python sqlite3 loop; size vs lz4 -9; peak RSS.")
    ap.add_argument("--reps", type=int, default=3, help="repetitions (figures are medians; default 3)")
    ap.add_argument("--events", type=int, default=6000, help="events of the 1x corpus (default 6000)")
    ap.add_argument("--scale", type=int, default=10, help="size of the large corpus over the 1x one (default 10)")
    ap.add_argument("--large", action="store_true", help="60k vs 600k events (same as --events 60000)")
    ap.add_argument("--speed-events", type=int, default=60_000,
                    help="events of the corpus for speed and size (default 60000, the issue's ~106 MB corpus)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--interleave", type=int, default=4)
    ap.add_argument("--planj", default=os.path.join(REPO, ".build", "release", "planj"))
    ap.add_argument("--cache", default=os.environ.get("PLANJ_BENCH_CACHE", "/tmp/planj-bench-cache"),
                    help="directory of cached corpora")
    ap.add_argument("--work", default=None, help="parent directory of scratch databases (default: system temp)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the Python loop")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    if args.large:
        args.events = 60_000
    if not os.access(args.planj, os.X_OK):
        raise SystemExit(f"no planj binary at {args.planj}: run `swift build -c release` first")
    if shutil.which("lz4") is None:
        raise SystemExit("the lz4 command line tool is needed (apt-get install lz4)")
    os.makedirs(args.cache, exist_ok=True)

    small_n = args.events
    large_n = args.events * args.scale
    speed_n = args.speed_events
    sizes = sorted({small_n, large_n, speed_n})
    corpora = {n: corpus(args.cache, args.seed, n, args.interleave) for n in sizes}
    speed = corpora[speed_n]

    work = tempfile.mkdtemp(prefix="planj-ingest-bench-", dir=args.work)
    # A private copy of the binary: a rebuild of the product during the benchmark cannot swap it.
    planj = os.path.join(work, "planj")
    shutil.copy2(args.planj, planj)
    load_before = os.getloadavg()
    git = git_describe()
    samples: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        samples.setdefault(key, []).append(value)

    rss_check = {}
    try:
        for rep in range(1, args.reps + 1):
            # The speed corpus: the Python loop and planj side by side, then size and verify.
            if not args.no_baseline:
                db = os.path.join(work, "baseline.sqlite")
                remove_db(db)
                r = run_measured([sys.executable, os.path.abspath(__file__), "_baseline", speed["path"], db])
                add("python_s", r["seconds"])
                add("python_rss_kb", r["rss_kb"])
                add("python_db_bytes", db_bytes(db))
                remove_db(db)
                log(f"rep {rep}: python loop {speed['events'] / r['seconds']:,.0f} events/s ({r['seconds']:.2f} s)")
            for n in sizes:
                c = corpora[n]
                db = os.path.join(work, f"journal-{n}.sqlite")
                remove_db(db)
                ingest = [planj, "--journal", db, "ingest", "--quiet", c["path"]]
                r = run_measured(ingest)
                add(f"ingest_s_{n}", r["seconds"])
                add(f"ingest_rss_kb_{n}", r["rss_kb"])
                if n == speed_n:
                    add("journal_bytes", db_bytes(db))
                v = run_measured([planj, "--journal", db, "verify"])
                add(f"verify_s_{n}", v["seconds"])
                add(f"verify_rss_kb_{n}", v["rss_kb"])
                log(f"rep {rep}: planj ingest {n} events: {c['events'] / r['seconds']:,.0f} events/s "
                    f"({r['seconds']:.2f} s, {r['rss_kb'] / 1024:.0f} MiB); verify {v['seconds']:.2f} s, "
                    f"{v['rss_kb'] / 1024:.0f} MiB")
                if rep == 1 and n == small_n:
                    # Cross-check wait4's ru_maxrss against GNU time on the same command.
                    remove_db(db)
                    rss_check = {"wait4_kb": r["rss_kb"], "gnu_time_kb": rss_via_time(ingest)}
                remove_db(db)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # Figures.
    ev = speed["events"]
    planj_rate = [ev / s for s in samples[f"ingest_s_{speed_n}"]]
    figures = []

    def fig(name, value, unit, samples_=None, target=None, met=None):
        figures.append({"name": name, "value": value, "unit": unit, "samples": samples_ or [],
                        "target": target, "met": met})

    if not args.no_baseline:
        py_rate = [ev / s for s in samples["python_s"]]
        ratios = [p / q for p, q in zip(planj_rate, py_rate)]
        fig("python sqlite3 loop", med(py_rate), "ev/s", py_rate)
        fig("python loop MB/s", speed["bytes"] / med(samples["python_s"]) / 1e6, "MB/s")
        fig("python loop peak RSS", med(samples["python_rss_kb"]) / 1024, "MiB", [x / 1024 for x in samples["python_rss_kb"]])
        fig("python loop db+wal", med(samples["python_db_bytes"]) / 1e6, "MB")
    fig("planj ingest", med(planj_rate), "ev/s", planj_rate, f">= {TARGET_EVENTS_PER_S:,}",
        med(planj_rate) >= TARGET_EVENTS_PER_S)
    fig("planj ingest MB/s", speed["bytes"] / med(samples[f"ingest_s_{speed_n}"]) / 1e6, "MB/s")
    if not args.no_baseline:
        fig("speed ratio planj/python", med(ratios), "x", ratios, f">= {TARGET_SPEED_RATIO:g}",
            med(ratios) >= TARGET_SPEED_RATIO)
    jb = samples["journal_bytes"]
    size_ratio = [b / speed["lz4_9_bytes"] for b in jb]
    fig("journal db+wal", med(jb) / 1e6, "MB", [b / 1e6 for b in jb])
    fig("lz4 -9 of the JSONL", speed["lz4_9_bytes"] / 1e6, "MB")
    fig("size ratio journal/lz4-9", med(size_ratio), "x", size_ratio,
        f"<= {TARGET_SIZE_RATIO:g} (aim {AIM_SIZE_RATIO:g})", med(size_ratio) <= TARGET_SIZE_RATIO)
    fig("compression ratio JSONL/journal", speed["bytes"] / med(jb), "x")
    fig("planj verify", ev / med(samples[f"verify_s_{speed_n}"]), "ev/s", [ev / s for s in samples[f"verify_s_{speed_n}"]])
    for what in ("ingest", "verify"):
        a = med(samples[f"{what}_rss_kb_{small_n}"]) / 1024
        b = med(samples[f"{what}_rss_kb_{large_n}"]) / 1024
        fig(f"{what} peak RSS {corpora[small_n]['events']} ev (1x)", a, "MiB",
            [x / 1024 for x in samples[f"{what}_rss_kb_{small_n}"]])
        fig(f"{what} peak RSS {corpora[large_n]['events']} ev ({args.scale}x)", b, "MiB",
            [x / 1024 for x in samples[f"{what}_rss_kb_{large_n}"]])
        fig(f"{what} RSS ratio {args.scale}x/1x", b / a, "x", None, f"<= {TARGET_RSS_RATIO:g} (flat)",
            b / a <= TARGET_RSS_RATIO)

    load_after = os.getloadavg()
    result = {
        "git": git,
        "planj": args.planj,
        "loadavg_1m": {"before": load_before[0], "after": load_after[0]},
        "reps": args.reps,
        "corpora": {str(n): corpora[n] for n in sizes},
        "speed_corpus_events": speed_n,
        "rss_check": rss_check,
        "figures": figures,
        "samples": samples,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0

    print(f"planj ingest benchmark  (git {result['git']}, {args.reps} reps, medians; {os.cpu_count()} cores, "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after)")
    for n in sizes:
        c = corpora[n]
        tag = " [speed, size]" if n == speed_n else ""
        print(f"  corpus {c['events']:>7} events {c['runs']:>5} runs {c['bytes'] / 1e6:8.1f} MB  "
              f"lz4 -9 {c['lz4_9_bytes'] / 1e6:7.1f} MB  {os.path.basename(c['path'])}{tag}")
    if rss_check:
        print(f"  RSS check (1x ingest): wait4 {rss_check['wait4_kb']} KiB, /usr/bin/time -f %M "
              f"{rss_check['gnu_time_kb']} KiB")
    print()
    print(f"{'figure':<36} {'median':>12} {'unit':<5}  {'target':<18} {'':<7}  samples")
    for f in figures:
        v = f["value"]
        value = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
        met = "" if f["met"] is None else ("MET" if f["met"] else "NOT MET")
        s = ", ".join(f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}" for x in f["samples"])
        print(f"{f['name']:<36} {value:>12} {f['unit']:<5}  {f['target'] or '':<18} {met:<7}  {s}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "_baseline":
        baseline_ingest(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(main())
