#!/usr/bin/env python3
"""Fuzzes `planj ingest` with damaged and unusual JSON Lines, and checks what a user relies on.

Each iteration takes one run (from ../shared/contract/valid.jsonl and generated runs), changes it
with one mutation (byte flips, truncation, lost or repeated lines, wrong types, missing fields, seq
gaps, huge or deeply nested values, odd timestamps, unicode escapes, reordered keys, blank lines
and CRLF, ...), interleaves it with an untouched run, and ingests the file into a journal that
already holds a third run (half the time with the events of open runs moved to a temporary file
past 1 KiB: PLANJOURNAL_INGEST_BUFFERED_BYTES). Then it checks:

  - planj exits 0 (everything landed), 3 (some run rejected) or 4 (a run rejected for a different
    event at a seq an earlier line already gave: a conflict, as two logs of one run that disagree
    are), never by a signal, a Swift trap or a timeout, and `--json` prints a summary whose every
    rejection names a line of the file;
  - the untouched run landed and reads back value for value (`planj events`);
  - the run already in the journal is byte for byte what it was;
  - the mutated run either landed and reads back value for value, or was rejected and is absent;
  - `planj verify` passes.

Usage: python3 tools/fuzz/ingest_fuzz.py [--iterations N] [--seed S] [--planj PATH] [--keep DIR]
Prints one line per failure and a summary; exit status 1 when any iteration failed. A failing
input is kept in --keep DIR (default /tmp/planj-fuzz-failures) with planj's output.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRACT = os.path.join(ROOT, "..", "shared", "contract", "valid.jsonl")
TIMEOUT = 120


def find_planj(given):
    if given:
        return os.path.abspath(given)
    found = [p for p in (os.path.join(ROOT, ".build", d, "planj") for d in ("release", "debug")) if os.path.exists(p)]
    if not found:
        sys.exit("ingest_fuzz: build planj first (swift build)")
    return max(found, key=os.path.getmtime)


def runs_of(lines):
    """The lines of each run, in file order, keyed by run id."""
    out = {}
    for line in lines:
        out.setdefault(json.loads(line)["run"], []).append(line)
    return out


def base_runs(seed):
    with open(CONTRACT, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    generated = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--seed", str(seed), "--runs", "12"],
        check=True, capture_output=True, text=True).stdout.splitlines()
    runs = runs_of(lines)
    runs.update(runs_of([l for l in generated if l.strip()]))
    return list(runs.values())


# ---------------------------------------------------------------- value comparison

def instant(ts):
    """A timestamp (RFC 3339 text or integer microseconds) as integer microseconds."""
    if isinstance(ts, int):
        return ts
    text = ts.replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    main, _, rest = text.partition(".")
    if rest:
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits):]
        frac = (digits + "000000")[:6]
        text = f"{main}.{frac}{zone}"
    return round(datetime.fromisoformat(text).astimezone(timezone.utc).timestamp() * 1_000_000)


def without_lone_surrogates(value):
    """`value` with each unpaired surrogate (json.loads keeps `"\\ud800"` as one) read as U+FFFD,
    as planj stores it."""
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


def normal(event):
    """The event as the values it carries (ts as an instant; `v`, `actor`, `cause` as given)."""
    e = without_lone_surrogates(dict(event))
    e["ts"] = instant(e["ts"])
    return e


def same_values(written, read):
    if len(written) != len(read):
        return f"{len(read)} events read back, {len(written)} written"
    for w, r in zip(written, read):
        if normal(w) != normal(r):
            return f"seq {w.get('seq')}: read back {json.dumps(r)[:300]} for {json.dumps(w)[:300]}"
    return None


# ---------------------------------------------------------------- mutations

def parsed(lines):
    return [json.loads(l) for l in lines]


def dump(objs):
    return [json.dumps(o, ensure_ascii=False, separators=(",", ":")) for o in objs]


def random_value(rng):
    return rng.choice([None, True, 0, -1, 2**70, 1.5, 1e300, "", "x" * rng.randint(1, 40), [], {}, [1, "a"], {"k": "v"}])


def m_flip_byte(lines, rng):
    i = rng.randrange(len(lines))
    b = bytearray(lines[i].encode())
    k = rng.randrange(len(b))
    b[k] = rng.choice([0x00, 0x22, 0x5C, 0x7B, 0x7D, 0x2C, 0x3A, 0xFF, 0xC3, b[k] ^ 0x01, b[k] ^ 0x20])
    lines[i] = b
    return lines


def m_drop_byte(lines, rng):
    i = rng.randrange(len(lines))
    b = lines[i].encode()
    k = rng.randrange(len(b))
    lines[i] = b[:k] + b[k + 1:]
    return lines


def m_truncate_line(lines, rng):
    i = rng.randrange(len(lines))
    b = lines[i].encode()
    lines[i] = b[: rng.randrange(len(b))]
    return lines


def m_truncate_file(lines, rng):
    i = rng.randrange(len(lines))
    b = lines[i].encode()
    return lines[:i] + [b[: rng.randrange(len(b))]]


def m_drop_line(lines, rng):
    del lines[rng.randrange(len(lines))]
    return lines or ["{}"]


def m_repeat_line(lines, rng):
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return lines


def m_swap_lines(lines, rng):
    if len(lines) > 1:
        i, j = rng.sample(range(len(lines)), 2)
        lines[i], lines[j] = lines[j], lines[i]
    return lines


def m_seq(lines, rng):
    objs = parsed(lines)
    o = rng.choice(objs)
    o["seq"] = rng.choice([o["seq"] + 1, o["seq"] - 1, 0, -5, 2**63, 2**64, "3", 1.5, None])
    return dump(objs)


def m_drop_key(lines, rng):
    objs = parsed(lines)
    o = rng.choice(objs)
    o.pop(rng.choice(["run", "seq", "ts", "kind", "data", "v", "actor", "cause"]), None)
    return dump(objs)


def m_envelope_type(lines, rng):
    objs = parsed(lines)
    o = rng.choice(objs)
    o[rng.choice(["run", "seq", "ts", "kind", "data", "v", "actor", "cause"])] = random_value(rng)
    return dump(objs)


def m_data_field(lines, rng):
    objs = parsed(lines)
    o = rng.choice(objs)
    data = o.get("data")
    if isinstance(data, dict) and data:
        key = rng.choice(list(data))
        if rng.random() < 0.3:
            del data[key]
        else:
            data[key] = random_value(rng)
    return dump(objs)


def m_step_field(lines, rng):
    """Changes a field of one plan step (ids, dependencies, approval flags)."""
    objs = parsed(lines)
    plans = [o for o in objs if isinstance(o.get("data"), dict) and isinstance(o["data"].get("steps"), list) and o["data"]["steps"]]
    if not plans:
        return m_data_field(dump(objs), rng)
    steps = rng.choice(plans)["data"]["steps"]
    s = rng.choice(steps)
    choice = rng.randrange(5)
    if choice == 0 and isinstance(s, dict):
        s["id"] = rng.choice([steps[0].get("id") if isinstance(steps[0], dict) else "", "", None, 7, "ñ-✓"])
    elif choice == 1 and isinstance(s, dict):
        s["depends_on"] = rng.choice([[s.get("id")], ["nope"], "x", [None], []])
    elif choice == 2:
        steps.append(dict(s) if isinstance(s, dict) else s)
    elif choice == 3 and isinstance(s, dict):
        s.pop("id", None)
    else:
        steps[steps.index(s)] = random_value(rng)
    return dump(objs)


def m_kind(lines, rng):
    objs = parsed(lines)
    o = rng.choice(objs[1:] or objs)
    o["kind"] = rng.choice(["x.fuzz.event", "x.", "bogus", "step.bogus", "", "run.completed", "run.started", "X.upper"])
    return dump(objs)


def m_timestamp(lines, rng):
    objs = parsed(lines)
    o = rng.choice(objs)
    o["ts"] = rng.choice([
        "2026-11-24T10:00:00Z", "2026-11-24T10:00:00.123456789Z", "2026-11-24T12:00:00+02:00",
        "2026-11-24 10:00:00Z", "2026-13-40T25:61:61Z", "yesterday", "", 0, -1, 1795514400000000, 2**63,
        "2026-11-24T10:00:00", "2026-11-24T10:00:00.5-00:30", 1.5e15])
    return dump(objs)


def m_big_values(lines, rng):
    objs = parsed(lines)
    o = rng.choice(objs)
    if not isinstance(o.get("data"), dict):
        return dump(objs)
    kind = rng.randrange(4)
    if kind == 0:
        o["data"]["x_big_text"] = "é" * rng.choice([70_000, 2_000_000])
    elif kind == 1:
        depth = rng.choice([50, 600, 5000, 100_000])
        o["data"]["x_nested"] = "@nested@"
        return [l.replace('"@nested@"', "[" * depth + "1" + "]" * depth) for l in dump(objs)]
    elif kind == 2:
        o["data"]["x_numbers"] = [2**70, -(2**64), 1e308, 5e-324, 0.1, -0.0, 123456789012345678901234567890]
    else:
        o["data"]["x_many"] = {f"k{i}": i for i in range(rng.choice([100, 20_000]))}
    return dump(objs)


def m_text_escapes(lines, rng):
    """Rewrites lines with every non-ASCII character escaped, extra spaces, or keys reordered."""
    objs = parsed(lines)
    style = rng.randrange(4)
    if style == 0:
        return [json.dumps(o, ensure_ascii=True) for o in objs]
    if style == 1:
        return [json.dumps(o, indent=None, separators=(" , ", " : ")) for o in objs]
    if style == 2:
        return [json.dumps(dict(reversed(list(o.items()))), ensure_ascii=False) for o in objs]
    o = rng.choice(objs)
    o["x_extra"] = {"unknown": ["fields", 1, None]}
    if isinstance(o.get("data"), dict):
        o["data"]["\u2028weird key\u0000"] = "line\u2028sep \U0001F9E0 \t tab \\ back \"q\""
    return dump(objs)


def m_raw_bytes(lines, rng):
    """Inserts raw bytes JSON forbids or that are not UTF-8."""
    i = rng.randrange(len(lines))
    b = lines[i].encode()
    k = b.find(b'"goal":"')
    k = k + 8 if k >= 0 else rng.randrange(len(b))
    junk = rng.choice([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x01", b"\t", b"\\ud800", b"\\u00", b"\\x41", b"\r"])
    lines[i] = b[:k] + junk + b[k:]
    return lines


def m_layout(lines, rng):
    """Blank lines, CRLF endings, a byte-order mark, whitespace-only lines (the values are unchanged)."""
    choice = rng.randrange(4)
    if choice == 0:
        out = []
        for l in lines:
            out += [l, ""]
        return out
    if choice == 1:
        return [(l.encode() if isinstance(l, str) else l) + b"\r" for l in lines]
    if choice == 2:
        return ["  \t"] + lines
    lines[0] = b"\xef\xbb\xbf" + (lines[0].encode() if isinstance(lines[0], str) else lines[0])
    return lines


MUTATIONS = [
    m_flip_byte, m_drop_byte, m_truncate_line, m_truncate_file, m_drop_line, m_repeat_line, m_swap_lines,
    m_seq, m_drop_key, m_envelope_type, m_data_field, m_step_field, m_kind, m_timestamp, m_big_values,
    m_text_escapes, m_raw_bytes, m_layout,
]


# ---------------------------------------------------------------- one iteration

def rename(lines, run_id):
    objs = parsed(lines)
    for o in objs:
        o["run"] = run_id
    return dump(objs)


def as_bytes(line):
    return line.encode() if isinstance(line, str) else bytes(line)


def planj(binary, journal, *args, stdin=None, env=None):
    return subprocess.run(
        [binary, "--journal", journal, *args], capture_output=True, timeout=TIMEOUT, input=stdin, env=env)


def events_of(binary, journal, run):
    p = planj(binary, journal, "events", run)
    if p.returncode != 0:
        return None
    try:
        return [json.loads(l) for l in p.stdout.decode().split("\n") if l.strip()]
    except RecursionError:
        return ["(too deep for Python to compare)"]


def expected_events(lines):
    """The events a mutated run carries if it is valid, or None when Python cannot read it.

    A line repeating an event seen before (same run and seq; it landed, so the same event) is
    skipped, as planj skips it."""
    out = []
    seen = set()
    for raw in lines:
        b = as_bytes(raw)
        if b.startswith(b"\xef\xbb\xbf"):
            b = b[3:]
        text = b.decode("utf-8", errors="strict").strip()
        if not text:
            continue
        event = json.loads(text)
        key = (event.get("run"), event.get("seq")) if isinstance(event, dict) else None
        if key is not None and key in seen:
            continue
        seen.add(key)
        out.append(event)
    return out


def iteration(binary, runs, rng, work, n):
    resident, innocent, target = rng.sample(runs, 3)
    resident = rename(resident, f"resident-{n}")
    innocent = rename(innocent, f"innocent-{n}")
    target = rename(target, f"target-{n} ✓")
    mutation = rng.choice(MUTATIONS)
    mutated = mutation(list(target), rng)
    journal = os.path.join(work, "j.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(journal + suffix):
            os.remove(journal + suffix)
    first = planj(binary, journal, "ingest", "--quiet", "-", stdin=("\n".join(resident) + "\n").encode())
    if first.returncode != 0:
        return mutation.__name__, f"the resident run did not ingest: {first.stderr.decode()[:300]}", None
    before = planj(binary, journal, "events", f"resident-{n}").stdout
    # The mutated run's lines interleaved with the untouched one's, in order within each.
    a, b = [as_bytes(l) for l in mutated], [as_bytes(l) for l in innocent]
    file_lines = []
    while a or b:
        src = a if (a and (not b or rng.random() < 0.5)) else b
        file_lines.append(src.pop(0))
    data = b"\n".join(file_lines) + (b"\n" if rng.random() < 0.9 else b"")
    path = os.path.join(work, "input.jsonl")
    with open(path, "wb") as f:
        f.write(data)
    try:
        spill = dict(os.environ, PLANJOURNAL_INGEST_BUFFERED_BYTES="1024") if rng.random() < 0.5 else None
        p = planj(binary, journal, "ingest", "--json", path, env=spill)
    except subprocess.TimeoutExpired:
        return mutation.__name__, f"planj ingest did not finish in {TIMEOUT} s", data
    err = p.stderr.decode(errors="replace")
    if p.returncode < 0 or p.returncode not in (0, 3, 4) or "Fatal error" in err or "Stack dump" in err:
        return mutation.__name__, f"exit {p.returncode}: {err[:400]}", data
    try:
        summary = json.loads(p.stdout)
    except ValueError:
        return mutation.__name__, f"--json printed no JSON: {p.stdout[:200]!r}", data
    lines_in_file = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    for r in summary.get("rejected", []):
        line = r.get("line")
        if not isinstance(line, int) or not 1 <= line <= lines_in_file or not r.get("message"):
            return mutation.__name__, f"a rejection names no line of the file: {r}", data
    if (p.returncode in (3, 4)) != bool(summary.get("rejected")):
        return mutation.__name__, f"exit {p.returncode} but rejected = {summary.get('rejected')}", data
    if p.returncode == 4 and not any(r.get("code") == "append.conflict" for r in summary["rejected"]):
        return mutation.__name__, f"exit 4 but no rejection is a conflict: {summary['rejected']}", data
    if planj(binary, journal, "events", f"resident-{n}").stdout != before:
        return mutation.__name__, "the run already in the journal changed", data
    unattributed = any(r.get("run") is None for r in summary.get("rejected", []))
    innocent_read = events_of(binary, journal, f"innocent-{n}")
    innocent_rejected = any(r.get("run") == f"innocent-{n}" for r in summary.get("rejected", []))
    if unattributed and innocent_rejected:
        # A line that names no run rejects the runs open at it (it may be one of their events).
        if innocent_read:
            return mutation.__name__, "the untouched run was rejected, yet it is in the journal", data
    else:
        # Otherwise the untouched run lands whole, as written (also when a line named no run
        # while it was not open).
        problem = same_values([json.loads(l) for l in innocent], innocent_read or [])
        if problem:
            return mutation.__name__, f"the untouched run: {problem}", data
    target_id = f"target-{n} ✓"
    rejected_target = any(r.get("run") == target_id for r in summary.get("rejected", [])) or (
        unattributed and target_id not in summary.get("runs_written", []))
    read = events_of(binary, journal, target_id)
    if rejected_target:
        if read:
            return mutation.__name__, f"the mutated run was rejected but {len(read)} of its events are in the journal", data
    elif target_id in summary.get("runs_written", []):
        try:
            written = [e for e in expected_events(mutated) if e.get("run") == target_id]
        except (ValueError, UnicodeDecodeError, RecursionError):
            written = None
        if written is not None:
            problem = same_values(written, read or [])
            if problem:
                return mutation.__name__, f"the mutated run landed but reads back differently: {problem}", data
    v = planj(binary, journal, "verify", "--json")
    if v.returncode != 0:
        return mutation.__name__, f"verify failed after the ingest: {v.stdout.decode()[:300]}", data
    return mutation.__name__, None, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--planj", help="the planj binary (default: the newest of .build/release and .build/debug)")
    ap.add_argument("--keep", default="/tmp/planj-fuzz-failures", help="where failing inputs are kept")
    args = ap.parse_args()
    binary = find_planj(args.planj)
    rng = random.Random(args.seed)
    runs = [r for r in base_runs(args.seed) if len(r) >= 2]
    failures = 0
    seen = {}
    with tempfile.TemporaryDirectory(prefix="planj-fuzz-") as work:
        for n in range(1, args.iterations + 1):
            name, problem, data = iteration(binary, runs, rng, work, n)
            seen[name] = seen.get(name, 0) + 1
            if problem:
                failures += 1
                os.makedirs(args.keep, exist_ok=True)
                kept = os.path.join(args.keep, f"seed{args.seed}-{n}-{name}.jsonl")
                with open(kept, "wb") as f:
                    f.write(data or b"")
                print(f"ingest-fuzz: iteration {n} ({name}): {problem} [input: {kept}]", flush=True)
            if n % 50 == 0:
                print(f"ingest-fuzz: {n}/{args.iterations} iterations, {failures} failed", file=sys.stderr, flush=True)
    mix = ", ".join(f"{k[2:]} {v}" for k, v in sorted(seen.items()))
    print(f"ingest-fuzz: {args.iterations - failures} of {args.iterations} passed (seed {args.seed}; {mix})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
