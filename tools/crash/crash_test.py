#!/usr/bin/env python3
"""Crash-safety harness for PlanJournal: SIGKILL concurrent writers, then check the journal.

What it does
    Each iteration starts K `planj append` processes (and, in some iterations, one `planj ingest`
    of a small whole file) on one journal file. Each appender gets its own runs (new ones, and runs
    left open by earlier iterations) and a stream of valid wire-format events on stdin, the runs
    interleaved: run.started, plan.proposed, step.* events for the plan's steps, call.model,
    x.* events, and mostly notes whose payloads range from 10 B to 200 KB, so appends cross the
    journal's ~128 KiB chunk boundaries and trigger tail compaction. A thread per writer reads the
    acks. After a random delay (5-400 ms, sometimes longer) all writers, or only some, get SIGKILL;
    the others have their stdin closed and must exit 0 having acked every line. Then:
      1. `planj verify` must exit 0;
      2. every acked event must be in the journal: `planj events RUN` is read back, the hash chain
         is recomputed here (SHA-256 over 32 zero bytes, then each stored line), the chain at each
         acked seq must equal the ack's head_hash, and the stored event must equal the line sent
         (compared as parsed JSON, `ts` as the same instant); the run's catalog entry
         (`planj runs --json`: events, head_hash) must agree;
      3. every stored event must be one that was sent (no garbage, no gaps), events stored by
         earlier iterations must be byte-identical (history never changes), runs this iteration
         did not touch must be unchanged, and a run of an ingest is all-or-nothing (all of it if
         ingest exited 0);
      4. the journal must take more writes: an interrupted ingest is run again and must complete,
         and one open run gets one more event through `planj append --expect-head`, which must be
         acked with the next seq and a head_hash matching the chain.
    The journal file is reused for a few iterations (restarts after crashes, runs continued after
    a crash) and now and then replaced by a fresh one. Any rejection (nack) of these valid events
    is also a failure.

How to run (from anywhere; Python 3.11 standard library only)
    swift build                                   # or: swift build -c release
    python3 tools/crash/crash_test.py             # 200 iterations, 3 writers
    python3 tools/crash/crash_test.py --iterations 30 --seed 7
    python3 tools/crash/crash_test.py --planj .build/debug/planj --writers 4 --keep
  Options: --planj PATH (default .build/release/planj if present, else .build/debug/planj, under
  the repository root found from this file's location), --iterations N (200), --writers K (3),
  --seed S (random when omitted; printed), --first I (number of the first iteration; it always
  starts with a fresh journal), --keep (keep every temp dir, not only failed ones),
  --progress-every N (10), --tmp DIR (where temp dirs go).

What it prints
    A header (binary, seed), one progress line every N iterations (a warning if the planj binary
    is rebuilt during the run; starting it is retried while the file is being replaced), then for
    each failed iteration its details (iteration, seed, temp dir kept with the journal, writer
    inputs/acks/stderr, what was missing or wrong) and a reproduction command. The last line is exactly
        crash: N passed, M failed
    and the exit status is 1 when M > 0 (2 on a usage error). Iterations are deterministic in what
    they send for a given seed and journal state; kill timing is not, so a reproduction re-runs
    the same schedule and may need a few tries.
"""
from __future__ import annotations

import argparse
import calendar
import datetime
import errno
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENESIS = bytes(32)
BASE_MICROS = 1795514400_000000  # 2026-11-24T10:00:00Z
P_FRESH = 0.25  # probability that an iteration starts a fresh journal
CMD_TIMEOUT = 180.0  # seconds any one planj command may take before it counts as hung
MAX_LINES_PER_WRITER = 4000
MAX_PROBLEMS_SHOWN = 25


# ----------------------------------------------------------------------------- payloads

def _make_text(seed: int, n: int) -> str:
    r = random.Random(seed)
    alphabet = (
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + " " * 12
        + "\"\\\n\t/{}[]:,é中✓🧮ü\u2028"
    )
    return "".join(r.choice(alphabet) for _ in range(n))


RANDOM_TEXT = _make_text(12345, 240_000)  # incompressible-ish
WORDS = ("plan step tool observe model call retry replan output error the of and agent journal "
         "chunk hash compress fetch summarize compare post approve review").split()
COMPRESSIBLE_TEXT = " ".join(random.Random(99).choice(WORDS) for _ in range(60_000))


def payload(rng: random.Random, size: int | None = None) -> str:
    if size is None:
        size = payload_size(rng)
    if rng.random() < 0.5:
        src = RANDOM_TEXT
    else:
        src = COMPRESSIBLE_TEXT
    size = min(size, len(src) - 1)
    off = rng.randrange(0, len(src) - size)
    return src[off:off + size]


def payload_size(rng: random.Random) -> int:
    r = rng.random()
    lo, hi = (10, 300) if r < 0.55 else (300, 8_000) if r < 0.80 else (8_000, 64_000) if r < 0.92 else (64_000, 200_000)
    return int(round(lo * (hi / lo) ** rng.random()))


# ----------------------------------------------------------------------------- timestamps

TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def ts_micros(v) -> int:
    """A wire `ts` (RFC 3339 string or integer microseconds) as integer microseconds."""
    if isinstance(v, bool):
        raise ValueError(f"bad ts {v!r}")
    if isinstance(v, int):
        return v
    m = TS_RE.match(v) if isinstance(v, str) else None
    if not m:
        raise ValueError(f"bad ts {v!r}")
    y, mo, d, h, mi, s = (int(m.group(k)) for k in range(1, 7))
    frac = (m.group(7) or "")[:6].ljust(6, "0")
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    off = m.group(8)
    if off != "Z":
        sign = 1 if off[0] == "+" else -1
        secs -= sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
    return secs * 1_000_000 + int(frac)


def format_ts(rng: random.Random, micros: int):
    r = rng.random()
    if r < 0.10:
        return micros
    if r < 0.20:
        digits = 0
    elif r < 0.30:
        digits = 3
    else:
        digits = 6
    micros -= micros % (10 ** (6 - digits))
    secs, frac = divmod(micros, 1_000_000)
    offset = 0
    suffix = "Z"
    if rng.random() < 0.05:
        offset = rng.choice([2, -5]) * 3600
        suffix = "+02:00" if offset > 0 else "-05:00"
    text = datetime.datetime.fromtimestamp(secs + offset, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + str(frac).rjust(6, "0")[:digits]
    return text + suffix


def normalize(ev: dict) -> dict:
    out = dict(ev)
    if "ts" in out:
        out["ts"] = ts_micros(out["ts"])
    return out


# ----------------------------------------------------------------------------- run model

class RunState:
    """What the journal holds for one run, as far as the harness knows (checked every iteration)."""

    def __init__(self, run_id: str, index: int):
        self.id = run_id
        self.index = index  # for timestamps
        self.head = 0
        self.chain: list[bytes] = [GENESIS]  # chain[seq] = hash after seq
        self.steps: list[str] = []  # step ids of every plan version
        self.max_version = 0
        self.completed = False

    @property
    def head_hex(self) -> str:
        return self.chain[self.head].hex()

    def absorb(self, stored: dict) -> None:
        """Updates the plan knowledge from one stored event (parsed)."""
        kind = stored.get("kind")
        data = stored.get("data") or {}
        if kind == "plan.proposed":
            self.max_version = max(self.max_version, int(data.get("version", 0)))
            for s in data.get("steps", []):
                if s["id"] not in self.steps:
                    self.steps.append(s["id"])
        elif kind == "run.completed":
            self.completed = True


class Gen:
    """Generates the next valid events of a run, continuing from its state."""

    def __init__(self, st: RunState, rng: random.Random, tiny: bool = False):
        self.size = (lambda r: r.randint(10, 120)) if tiny else payload_size
        self.tiny = tiny  # tiny runs are meant to grow long: they do not complete
        self.run = st.id
        self.index = st.index
        self.seq = st.head
        self.steps = list(st.steps)
        self.max_version = st.max_version
        self.completed = st.completed
        self.rng = rng

    def p(self, n: int | None = None) -> str:
        return payload(self.rng, n if n is not None else self.size(self.rng))

    def next_line(self) -> tuple[int, bytes]:
        rng = self.rng
        self.seq += 1
        seq = self.seq
        data: dict
        actor = "system"
        if seq == 1:
            kind = "run.started"
            data = {"goal": "crash test " + self.p(rng.randint(5, 80)),
                    "agent": {"name": "crash_test", "version": "1"}, "tags": ["crash"]}
            if rng.random() < 0.2:
                data["config"] = {"blob": self.p()}
        else:
            r = rng.random()
            if (not self.steps and r < 0.12) or r < 0.04:
                kind, actor = "plan.proposed", "planner"
                self.max_version += 1
                v = self.max_version
                n = rng.randint(1, 6)
                steps = []
                for k in range(n):
                    sid = f"s{v}_{k}" if rng.random() < 0.8 else (f"shared_{k}")
                    if any(s["id"] == sid for s in steps):
                        sid = f"s{v}_{k}"
                    deps = [s["id"] for s in steps if rng.random() < 0.4]
                    step = {"id": sid, "depends_on": deps}
                    if rng.random() < 0.5:
                        step["description"] = self.p(rng.randint(10, 400))
                    steps.append(step)
                data = {"version": v, "steps": steps}
                if rng.random() < 0.3:
                    data["rationale"] = self.p()
                for s in steps:
                    if s["id"] not in self.steps:
                        self.steps.append(s["id"])
            elif self.steps and r < 0.30:
                sid = rng.choice(self.steps)
                kind = rng.choice(["step.started", "call.tool", "step.observed", "step.completed",
                                   "step.failed", "step.skipped"])
                actor = "executor"
                data = {"step_id": sid}
                if kind == "step.started":
                    data["attempt"] = rng.randint(1, 3)
                elif kind == "call.tool":
                    data.update(tool="http_get", args={"url": "https://example.org/" + str(seq)})
                    actor = "tool:http_get"
                elif kind == "step.observed":
                    data.update(ok=True, content=self.p(), content_type="text/plain")
                elif kind == "step.completed":
                    data.update(output=self.p(), duration_ms=rng.randint(1, 5000))
                elif kind == "step.failed":
                    data.update(attempt=1, error={"type": "Boom", "message": self.p(60)}, retryable=True)
                else:
                    data["reason"] = "not needed"
            elif r < 0.33:
                kind, actor = "call.model", "model:small"
                data = {"step_id": None, "purpose": "plan", "model": "small", "prompt": self.p(),
                        "response": self.p(), "usage": {"input_tokens": rng.randint(1, 9999),
                                                             "output_tokens": rng.randint(1, 999)},
                        "latency_ms": rng.randint(1, 3000), "cost_usd": rng.randint(1, 10_000) / 1e6}
            elif r < 0.333 and seq > 4 and not self.tiny:
                kind, actor = "run.completed", "system"
                data = {"status": rng.choice(["succeeded", "failed", "partially_succeeded", "cancelled"]),
                        "final_answer": self.p(rng.randint(10, 500))}
                self.completed = True
            elif r < 0.35:
                kind = "x.crash.heartbeat"
                data = {"cpu": rng.randint(0, 100) / 100, "nested": {"keep": [1, 2, {"me": True}]},
                        "pad": self.p(rng.randint(10, 200))}
            else:
                kind = "note"
                data = {"text": self.p(), "seq_was": seq}
                if rng.random() < 0.1:
                    data["nested"] = {"list": [self.p(20) for _ in range(rng.randint(0, 5))], "n": None}
        ts = BASE_MICROS + self.index * 1_000_000_000 + seq * 1000 + rng.randrange(1000)
        ev = {"v": 1, "run": self.run, "seq": seq, "ts": format_ts(rng, ts), "kind": kind, "actor": actor,
              "cause": (rng.randint(1, seq - 1) if seq > 1 and rng.random() < 0.2 else None), "data": data}
        if rng.random() < 0.1:
            del ev["v"]
        if rng.random() < 0.1:
            del ev["cause"]
        if rng.random() < 0.1:
            items = list(ev.items())
            rng.shuffle(items)
            ev = dict(items)
        if rng.random() < 0.3:
            text = json.dumps(ev, ensure_ascii=rng.random() < 0.5)  # with spaces
        else:
            text = json.dumps(ev, ensure_ascii=rng.random() < 0.5, separators=(",", ":"))
        return seq, text.encode("utf-8") + b"\n"


# ----------------------------------------------------------------------------- processes

class HarnessError(Exception):
    pass


def spawn(cmd: list[str], **kwargs) -> subprocess.Popen:
    """Popen that waits out a binary being rebuilt under it (ETXTBSY / briefly missing), up to 2 min."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return subprocess.Popen(cmd, **kwargs)
        except OSError as e:
            if e.errno not in (errno.ETXTBSY, errno.ENOENT) or time.monotonic() > deadline:
                raise HarnessError(f"cannot start {cmd[0]}: {e}")
            time.sleep(0.5)


def run_planj(planj: str, journal: str, args: list[str], stdin: bytes | None = None,
              timeout: float = CMD_TIMEOUT) -> tuple[int, bytes, bytes]:
    cmd = [planj, "--journal", journal] + args
    p = spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise HarnessError(f"hung: `{' '.join(cmd)}` did not finish in {timeout:.0f} s")
    return p.returncode, out, err


# The share of `planj append` writers run with `--durability full` (`--full-share`).
FULL_SHARE = 0.2


class AppendWriter:
    """One `planj append` process fed a stream of interleaved events of its own runs."""

    def __init__(self, name: str, planj: str, journal: str, runs: list[RunState], rng: random.Random,
                 workdir: str, pace: str):
        self.name = name
        self.pace = pace
        self.gens = [Gen(r, random.Random(rng.random()), tiny=self.pace == "tiny") for r in runs]
        self.runs = [r.id for r in runs]
        self.acks: list[dict] = []
        self.rng = random.Random(rng.random())
        self.durability = "full" if rng.random() < FULL_SHARE else "normal"
        self.cmd = [planj, "--journal", journal, "append", "--durability", self.durability]
        self.sent: list[tuple[str, int, bytes]] = []  # line k+1 -> (run, seq, bytes)
        self.raw_acks: list[bytes] = []
        self.stop = threading.Event()
        self.killed = False
        self.write_error: str | None = None
        self.in_path = os.path.join(workdir, f"{name}.in.jsonl")
        self.ack_path = os.path.join(workdir, f"{name}.acks.jsonl")
        self.err_path = os.path.join(workdir, f"{name}.stderr")
        self.rc: int | None = None

    def start(self) -> None:
        self.err_file = open(self.err_path, "wb")
        self.proc = spawn(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err_file, bufsize=0)
        self.feeder = threading.Thread(target=self._feed, daemon=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.feeder.start()
        self.reader.start()

    def _feed(self) -> None:
        fd = self.proc.stdin.fileno()
        with open(self.in_path, "wb") as log:
            try:
                while not self.stop.is_set() and len(self.sent) < MAX_LINES_PER_WRITER:
                    open_gens = [g for g in self.gens if not g.completed]
                    if not open_gens:
                        break
                    g = self.rng.choice(open_gens)
                    seq, line = g.next_line()
                    self.sent.append((g.run, seq, line))
                    log.write(line)
                    view = memoryview(line)
                    while view:
                        n = os.write(fd, view)
                        view = view[n:]
                    if self.pace == "trickle":
                        time.sleep(self.rng.random() * 0.003)
            except OSError as e:  # BrokenPipeError once the process is killed
                if not self.killed:
                    self.write_error = repr(e)
        # Wait for the decision: close stdin (graceful) or the process dies (killed).
        self.stop.wait()
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def _read(self) -> None:
        fd = self.proc.stdout.fileno()
        pending = b""
        with open(self.ack_path, "wb") as log:
            while True:
                block = os.read(fd, 1 << 16)
                if not block:
                    break
                log.write(block)
                *lines, pending = (pending + block).split(b"\n")
                self.raw_acks.extend(line + b"\n" for line in lines)
            if pending:
                self.raw_acks.append(pending)  # no newline: cut short by a kill

    def kill(self) -> None:
        self.killed = True
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.stop.set()

    def close(self) -> None:
        self.stop.set()

    def wait(self, problems: list[str]) -> None:
        self.rc = wait_or_kill(
            self.proc, problems, f"{self.name}: hung: still running {CMD_TIMEOUT:.0f} s after its input was closed; killed")
        self.feeder.join(timeout=30)
        self.reader.join(timeout=30)
        self.err_file.close()

    def stderr_tail(self) -> str:
        return file_tail(self.err_path)


def wait_or_kill(proc, problems: list, message: str) -> int:
    """Waits for a writer process; one that hangs is killed and reported with `message`."""
    try:
        return proc.wait(timeout=CMD_TIMEOUT)
    except subprocess.TimeoutExpired:
        problems.append(message)
        proc.kill()
        return proc.wait()


def file_tail(path) -> str:
    """The last 600 bytes of a file, as text ("" when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return f.read()[-600:].decode("utf-8", "replace").strip()
    except OSError:
        return ""


class IngestWriter:
    """One `planj ingest FILE...` of 1-3 small whole files (new runs, sometimes continuing open
    ones; each run in one file). Half the time each file commits on its own
    (PLANJOURNAL_INGEST_GROUP_BYTES=0), so a kill can fall between two files' commits; a file is
    never split, so a run is still all or nothing. Half the time the events of open runs go to a
    temporary file past 4 KiB (PLANJOURNAL_INGEST_BUFFERED_BYTES), so kills also hit that path."""

    def __init__(self, name: str, planj: str, journal: str, runs: list[RunState], rng: random.Random,
                 workdir: str):
        self.name = name
        self.runs = [r.id for r in runs]
        self.paths = [os.path.join(workdir, f"{name}-{k}.jsonl") for k in range(rng.randint(1, 3))]
        self.env = dict(os.environ)
        if rng.random() < 0.5:
            self.env["PLANJOURNAL_INGEST_GROUP_BYTES"] = "0"
        if rng.random() < 0.5:
            self.env["PLANJOURNAL_INGEST_BUFFERED_BYTES"] = "4096"
        self.err_path = os.path.join(workdir, f"{name}.stderr")
        self.out_path = os.path.join(workdir, f"{name}.stdout")
        gens = [Gen(r, random.Random(rng.random())) for r in runs]
        counts = {g.run: rng.randint(2, 40) for g in gens}
        self.lines: dict[str, dict[int, bytes]] = {g.run: {} for g in gens}
        self.first_seq = {g.run: g.seq + 1 for g in gens}
        order = []
        for g in gens:
            order += [g] * counts[g.run]
        rng.shuffle(order)
        file_of = {g.run: rng.randrange(len(self.paths)) for g in gens}
        files = [open(p, "wb") for p in self.paths]
        for g in order:
            if g.completed:
                continue
            seq, line = g.next_line()
            self.lines[g.run][seq] = line
            files[file_of[g.run]].write(line)
        for f in files:
            f.close()
        self.cmd = [planj, "--journal", journal, "ingest", *self.paths, "--json", "--quiet"]
        self.killed = False
        self.rc: int | None = None

    def start(self) -> None:
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = spawn(self.cmd, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err, env=self.env)

    def kill(self) -> None:
        self.killed = True
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        pass

    def wait(self, problems: list[str]) -> None:
        self.rc = wait_or_kill(
            self.proc, problems, f"{self.name}: hung: ingest still running after {CMD_TIMEOUT:.0f} s; killed")
        self.out.close()
        self.err.close()

    def stderr_tail(self) -> str:
        return file_tail(self.err_path)

    def reported_runs(self) -> set[str]:
        """The runs of the files whose `--json` report line was printed before the kill (one line
        per file when there are several): a report is printed once its file is committed."""
        if len(self.paths) < 2:
            return set()
        done: set[str] = set()
        try:
            with open(self.out_path, "rb") as f:
                for line in f.read().split(b"\n"):
                    try:
                        report = json.loads(line)
                    except ValueError:
                        continue  # a line cut by the kill
                    if report.get("source") in self.paths:
                        done.update(report.get("runs_written", []))
        except OSError:
            pass
        return done


# ----------------------------------------------------------------------------- checks

class Epoch:
    """One journal file and what the harness knows of its runs."""

    def __init__(self, tmp_root: str | None, first: int):
        self.dir = tempfile.mkdtemp(prefix=f"planj-crash-{first}-", dir=tmp_root)
        self.journal = os.path.join(self.dir, "journal.sqlite")
        self.first = first
        self.runs: dict[str, RunState] = {}
        self.counter = 0
        self.failed = False

    def new_run(self, rng: random.Random, prefix: str) -> RunState:
        self.counter += 1
        flavor = rng.random()
        if flavor < 0.1:
            rid = f"{prefix}/ünïcode ✓ {self.counter}"
        elif flavor < 0.2:
            rid = f"01JD{rng.randrange(16 ** 20):020X}{self.counter:02d}"[:40]
        else:
            rid = f"{prefix}-r{self.counter}"
        return RunState(rid, self.counter)


def read_run(planj: str, journal: str, run_id: str) -> tuple[int, list[bytes], str]:
    rc, out, err = run_planj(planj, journal, ["events", run_id])
    if rc == 5:  # run not found: nothing stored
        return 0, [], ""
    if rc != 0:
        return rc, [], err.decode("utf-8", "replace").strip()[-400:]
    lines = out.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return 0, lines, ""


def check_run(st: RunState, lines: list[bytes], catalog: dict | None, candidates: dict[int, bytes],
              acked: dict[int, str], required: int, problems: list[str], where: str) -> RunState:
    """Checks one run's stored events; returns its new state (from what is stored)."""
    p = lambda msg: problems.append(f"run {st.id!r}: {msg} [{where}]")
    new = RunState(st.id, st.index)
    chain = [GENESIS]
    for k, line in enumerate(lines):
        seq = k + 1
        h = hashlib.sha256(chain[-1] + line).digest()
        chain.append(h)
        try:
            stored = json.loads(line)
        except ValueError:
            p(f"seq {seq}: stored line is not JSON: {line[:120]!r}")
            return new
        if stored.get("seq") != seq or stored.get("run") != st.id:
            p(f"seq {seq}: stored event has run {stored.get('run')!r} seq {stored.get('seq')!r} (gap or garbage)")
            return new
        if seq <= st.head:
            if h != st.chain[seq]:
                p(f"seq {seq}: an event stored by an earlier iteration changed (chain hash differs)")
                return new
        else:
            sent = candidates.get(seq)
            if sent is None:
                p(f"seq {seq}: stored event was never sent (garbage): {line[:160]!r}")
                return new
            try:
                if normalize(json.loads(sent)) != normalize(stored):
                    p(f"seq {seq}: stored event differs from the one sent\n      sent:   {sent[:200]!r}\n"
                      f"      stored: {line[:200]!r}")
                    return new
            except ValueError as e:
                p(f"seq {seq}: cannot compare stored and sent event: {e}")
                return new
        new.absorb(stored)
    new.head = len(lines)
    new.chain = chain
    if new.head < st.head:
        p(f"lost events of earlier iterations: head was seq {st.head}, now {new.head}")
    missing = sorted(s for s in acked if s > new.head)
    if missing:
        p(f"acked events missing: seq {missing[0]}..{missing[-1]} ({len(missing)} acked events; "
          f"journal head is seq {new.head})")
    for s, hh in sorted(acked.items()):
        if s <= new.head and chain[s].hex() != hh:
            p(f"seq {s}: ack said head_hash {hh[:16]}…, the chain over the stored events gives {chain[s].hex()[:16]}…")
            break
    if required > new.head:
        p(f"required events missing: expected at least seq {required}, journal head is seq {new.head}")
    if new.head == 0:
        if catalog is not None:
            p(f"catalog lists the run ({catalog.get('events')} events) but `planj events` returns none")
    else:
        if catalog is None:
            p(f"`planj runs --json` does not list the run, which has {new.head} events")
        else:
            if catalog.get("events") != new.head:
                p(f"catalog says {catalog.get('events')} events, `planj events` returns {new.head}")
            if catalog.get("head_hash") != new.head_hex:
                p(f"catalog head_hash {str(catalog.get('head_hash'))[:16]}… differs from the recomputed chain "
                  f"{new.head_hex[:16]}…")
    return new


def list_runs(planj: str, journal: str, problems: list[str]) -> dict[str, dict] | None:
    # Every writer may have been killed before it made the journal: then it holds no run
    # (commands that only read refuse a path that names no journal).
    if not os.path.exists(journal):
        return {}
    rc, out, err = run_planj(planj, journal, ["runs", "--json"])
    if rc != 0:
        problems.append(f"`planj runs --json` exited {rc}: {err.decode('utf-8', 'replace').strip()[-400:]}")
        return None
    try:
        return {r["id"]: r for r in json.loads(out)}
    except (ValueError, KeyError, TypeError) as e:
        problems.append(f"`planj runs --json` printed unreadable output: {e}")
        return None


def verify(planj: str, journal: str, problems: list[str], when: str, stats: "Stats") -> None:
    if not os.path.exists(journal):
        return  # no writer lived long enough to make it: nothing to verify
    rc, out, err = run_planj(planj, journal, ["verify", "--json"])
    if rc == 0:
        try:
            stats.snapshots = max(stats.snapshots, int(json.loads(out).get("snapshots", 0)))
        except (ValueError, TypeError, AttributeError):
            problems.append(f"`planj verify --json` {when} printed unreadable output: {out[:200]!r}")
    else:
        detail = out.decode("utf-8", "replace").strip()
        try:
            rep = json.loads(out)
            detail = "; ".join(f"run {x.get('run')!r} seq {x.get('seq')}: [{x.get('code')}] {x.get('message')}"
                               for x in rep.get("problems", [])[:10])
        except ValueError:
            pass
        problems.append(f"`planj verify` {when} exited {rc} (want 0): {detail[:1500]} "
                        f"{err.decode('utf-8', 'replace').strip()[-400:]}")


# ----------------------------------------------------------------------------- one iteration

class Stats:
    def __init__(self):
        self.acked = 0
        self.sent = 0
        self.killed = 0
        self.graceful = 0
        self.ingests = 0
        self.ingests_killed = 0
        self.max_run = 0
        self.snapshots = 0


def run_iteration(it: int, rng: random.Random, ep: Epoch, planj: str, n_writers: int, stats: Stats,
                  problems: list[str]) -> None:
    workdir = os.path.join(ep.dir, f"it{it}")
    os.makedirs(workdir)
    open_runs = [r for r in ep.runs.values() if not r.completed and r.head > 0]
    rng.shuffle(open_runs)

    # Assign runs: each writer its own runs (new ones and some left open by earlier iterations).
    writers: list[AppendWriter] = []
    assigned: dict[str, RunState] = {}  # every run written this iteration, as it stood before
    for w in range(n_writers):
        # "tiny": small events only, as fast as possible, continuing the longest open run, so runs
        # pass the snapshot interval (1000 events).
        pace = rng.choice(["burst", "burst", "burst", "trickle", "tiny"])
        mine = []
        if pace == "tiny":
            if open_runs:
                longest = max(open_runs, key=lambda r: r.head)
                open_runs.remove(longest)
                mine.append(longest)
            else:
                mine.append(ep.new_run(rng, f"it{it}w{w}"))
        else:
            for _ in range(rng.randint(0, 2)):
                if open_runs and rng.random() < 0.7:
                    mine.append(open_runs.pop())
            for _ in range(rng.randint(1 if not mine else 0, 3)):
                mine.append(ep.new_run(rng, f"it{it}w{w}"))
        assigned.update((r.id, r) for r in mine)
        writers.append(AppendWriter(f"w{w}", planj, ep.journal, mine, rng, workdir, pace))
    ingest = None
    if rng.random() < 0.35:
        mine = [ep.new_run(rng, f"it{it}ing") for _ in range(rng.randint(1, 3))]
        if open_runs and rng.random() < 0.4:
            mine.append(open_runs.pop())
        assigned.update((r.id, r) for r in mine)
        ingest = IngestWriter("ingest", planj, ep.journal, mine, rng, workdir)
    all_writers = writers + ([ingest] if ingest else [])

    delay = rng.uniform(0.005, 0.4) if rng.random() < 0.9 else rng.uniform(0.4, 1.5)
    if rng.random() < 0.75 or len(all_writers) == 1:
        to_kill = list(all_writers)
    else:
        to_kill = rng.sample(all_writers, rng.randint(1, len(all_writers) - 1))

    try:
        for w in all_writers:
            w.start()
        time.sleep(delay)
        for w in all_writers:
            if w in to_kill:
                w.kill()
            else:
                w.close()
        for w in all_writers:
            w.wait(problems)
    except BaseException:
        for w in all_writers:  # leave no writer behind when the harness itself fails
            proc = getattr(w, "proc", None)
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        raise

    # Acks.
    acked: dict[str, dict[int, str]] = {}
    candidates: dict[str, dict[int, bytes]] = {}
    for w in writers:
        stats.sent += len(w.sent)
        stats.killed += w.killed
        stats.graceful += not w.killed
        for run_id, seq, line in w.sent:
            candidates.setdefault(run_id, {})[seq] = line
        for r in w.runs:
            candidates.setdefault(r, {})
        first_nack: set[str] = set()
        acks = []
        for k, raw in enumerate(w.raw_acks):
            try:
                acks.append(json.loads(raw))
            except ValueError:
                if w.killed and k == len(w.raw_acks) - 1 and not raw.endswith(b"\n"):
                    continue  # cut short by the kill: not an ack
                problems.append(f"{w.name}: unreadable ack line {k + 1}: {raw[:200]!r}")
        w.acks = acks
        last_line = 0
        for a in acks:
            n = a.get("line")
            if not isinstance(n, int) or not (1 <= n <= len(w.sent)):
                problems.append(f"{w.name}: ack for unknown line {n}: {a}")
                continue
            if n <= last_line:
                problems.append(f"{w.name}: acks out of order (line {n} after {last_line})")
            last_line = n
            run_id, seq, line = w.sent[n - 1]
            if a.get("ok") is True:
                if a.get("run") != run_id or a.get("seq") != seq:
                    problems.append(f"{w.name}: ack for line {n} names run {a.get('run')!r} seq {a.get('seq')}, "
                                    f"sent run {run_id!r} seq {seq}")
                    continue
                acked.setdefault(run_id, {})[seq] = a.get("head_hash")
                stats.acked += 1
            elif run_id not in first_nack:
                first_nack.add(run_id)
                problems.append(f"{w.name}: valid event rejected (line {n}, run {run_id!r} seq {seq}): "
                                f"{json.dumps(a.get('error'))[:400]}")
        hint = ""
        if not w.raw_acks and "database is locked" in w.stderr_tail():
            hint = (" (it failed before its first ack: opening the journal returned SQLITE_BUSY at once, "
                    "without waiting out the busy timeout; seen when several processes open a new journal together)")
        if not w.killed:
            if w.rc != 0:
                problems.append(f"{w.name}: not killed, stdin closed, but exited {w.rc}: {w.stderr_tail()}{hint}")
            if w.write_error:
                problems.append(f"{w.name}: not killed, but writing its stdin failed: {w.write_error}")
            if len(w.acks) != len(w.sent):
                problems.append(f"{w.name}: not killed, stdin closed after {len(w.sent)} lines, "
                                f"but it answered {len(w.acks)} (stderr: {w.stderr_tail()})")
        elif w.rc not in (-signal.SIGKILL, 0):
            problems.append(f"{w.name}: killed, but exited {w.rc} first: {w.stderr_tail()}{hint}")

    ingest_complete = False
    if ingest:
        stats.ingests += 1
        stats.ingests_killed += ingest.killed
        for r in ingest.runs:
            candidates.setdefault(r, {}).update(ingest.lines[r])
        if ingest.rc == 0:
            ingest_complete = True
        elif not ingest.killed or ingest.rc != -signal.SIGKILL:
            problems.append(f"ingest: exited {ingest.rc} (killed: {ingest.killed}): {ingest.stderr_tail()}")

    # (1) verify.
    verify(planj, ep.journal, problems, "after the crash", stats)

    # (2)(3) every acked event is there, nothing else is; untouched runs unchanged.
    catalog = list_runs(planj, ep.journal, problems)
    if catalog is None:
        return
    touched = list(assigned)
    known = set(ep.runs) | set(touched)
    for rid in catalog:
        if rid not in known:
            problems.append(f"run {rid!r}: in the journal but never written (garbage run)")
    for rid, st in ep.runs.items():
        if rid in assigned:
            continue
        c = catalog.get(rid)
        if c is None or c.get("events") != st.head or c.get("head_hash") != st.head_hex:
            problems.append(f"run {rid!r}: untouched this iteration but changed: had {st.head} events, head "
                            f"{st.head_hex[:16]}…; catalog now {None if c is None else (c.get('events'), str(c.get('head_hash'))[:16])}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        reads = dict(zip(touched, pool.map(lambda r: read_run(planj, ep.journal, r), touched)))
    for rid in touched:
        rc, lines, err = reads[rid]
        st = assigned[rid]
        if rc != 0:
            problems.append(f"run {rid!r}: `planj events` exited {rc}: {err}")
            continue
        required = 0
        where = "after the crash"
        if ingest and rid in ingest.runs:
            lo = ingest.first_seq[rid]
            hi = max(ingest.lines[rid], default=lo - 1)
            if hi >= lo:
                if ingest_complete:
                    required = hi
                    where = "after a completed ingest"
                elif rid in ingest.reported_runs():
                    required = hi
                    where = "after ingest reported its file (committed) and was killed"
                elif st.head < len(lines) < hi:
                    problems.append(f"run {rid!r}: ingest is all-or-nothing per run, but the journal holds "
                                    f"seq {lo}..{len(lines)} of its seq {lo}..{hi}")
        new = check_run(st, lines, catalog.get(rid), candidates.get(rid, {}), acked.get(rid, {}), required,
                        problems, where)
        if new.head:
            ep.runs[rid] = new
            stats.max_run = max(stats.max_run, new.head)
        else:
            ep.runs.pop(rid, None)
    if problems:
        return  # leave the journal as the crash left it

    # (4) the journal takes more writes: finish an interrupted ingest, then append one event.
    if ingest and not ingest_complete:
        rc, out, err = run_planj(planj, ep.journal, ["ingest", *ingest.paths, "--json", "--quiet"])
        if rc != 0:
            problems.append(f"re-running the interrupted ingest exited {rc}: "
                            f"{(out + err).decode('utf-8', 'replace').strip()[-600:]}")
            return
        catalog = list_runs(planj, ep.journal, problems)
        if catalog is None:
            return
        for rid in ingest.runs:
            rc, lines, err = read_run(planj, ep.journal, rid)
            if rc != 0:
                problems.append(f"run {rid!r}: `planj events` exited {rc} after re-ingest: {err}")
                continue
            st = ep.runs.get(rid) or assigned[rid]
            required = max(ingest.lines[rid], default=0)
            new = check_run(st, lines, catalog.get(rid), ingest.lines[rid], {}, required, problems,
                            "after re-running the interrupted ingest")
            if new.head:
                ep.runs[rid] = new
    open_now = [r for r in ep.runs.values() if not r.completed]
    if open_now and rng.random() < 0.9:
        st = rng.choice(open_now)
    else:
        st = ep.new_run(rng, f"it{it}post")
    g = Gen(st, random.Random(rng.random()))
    seq, line = g.next_line()
    rc, out, err = run_planj(planj, ep.journal, ["append", "--expect-head"], stdin=line)
    where = "after the post-crash append"
    try:
        ack = json.loads(out.split(b"\n")[0]) if out.strip() else {}
    except ValueError:
        ack = {}
    if rc != 0 or not ack.get("ok") or ack.get("seq") != seq or ack.get("run") != st.id:
        problems.append(f"run {st.id!r}: appending seq {seq} after the crash failed: exit {rc}, "
                        f"ack {out.decode('utf-8', 'replace').strip()[:400]} {err.decode('utf-8', 'replace').strip()[-300:]}")
        return
    rc, lines, err = read_run(planj, ep.journal, st.id)
    catalog = list_runs(planj, ep.journal, problems)
    if rc != 0 or catalog is None:
        problems.append(f"run {st.id!r}: `planj events` exited {rc} after the post-crash append: {err}")
        return
    new = check_run(st, lines, catalog.get(st.id), {seq: line}, {seq: ack.get("head_hash")}, seq, problems, where)
    if new.head:
        ep.runs[st.id] = new


# ----------------------------------------------------------------------------- main

def default_planj() -> str:
    rel = os.path.join(REPO, ".build", "release", "planj")
    return rel if os.path.exists(rel) else os.path.join(REPO, ".build", "debug", "planj")


def fresh_draw(seed: int, it: int) -> tuple[random.Random, bool]:
    rng = random.Random(f"{seed}/{it}")
    return rng, rng.random() < P_FRESH


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="SIGKILL concurrent planj writers and check the journal survives.")
    ap.add_argument("--planj", default=None, help="the planj binary (default: .build/release/planj if present, "
                                                   "else .build/debug/planj, under the repository root)")
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--writers", type=int, default=3, help="concurrent `planj append` processes (default 3)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    ap.add_argument("--first", type=int, default=0, help="number of the first iteration (it starts a fresh journal)")
    ap.add_argument("--keep", action="store_true", help="keep every temp dir (failed ones are always kept)")
    ap.add_argument("--progress-every", type=int, default=10)
    ap.add_argument("--full-share", type=float, default=0.2,
                    help="share of append writers run with --durability full (default 0.2)")
    ap.add_argument("--tmp", default=None, help="parent directory for temp dirs (default: the system's)")
    args = ap.parse_args(argv)
    if args.iterations < 0 or args.writers < 1:
        ap.error("--iterations must be >= 0 and --writers >= 1")
    if not 0 <= args.full_share <= 1:
        ap.error("--full-share must be between 0 and 1")
    global FULL_SHARE
    FULL_SHARE = args.full_share
    planj = os.path.abspath(args.planj) if args.planj else default_planj()
    if not os.access(planj, os.X_OK):
        print(f"crash: no planj binary at {planj} (run `swift build` in {REPO}, or pass --planj)", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    print(f"crash: planj {planj}; seed {seed}; iterations {args.first}..{args.first + args.iterations - 1}; "
          f"{args.writers} writers", flush=True)

    def binary_id() -> tuple | None:
        try:
            st = os.stat(planj)
            return (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            return None

    binary = binary_id()
    stats = Stats()
    passed = failed = 0
    failures: list[str] = []
    started = time.monotonic()
    ep: Epoch | None = None
    last = args.first + args.iterations - 1

    def close_epoch(e: Epoch | None) -> None:
        if e is None:
            return
        if e.failed or args.keep:
            print(f"crash: kept {e.dir}", flush=True)
        else:
            shutil.rmtree(e.dir, ignore_errors=True)

    for it in range(args.first, args.first + args.iterations):
        rng, fresh = fresh_draw(seed, it)
        now = binary_id()
        if now != binary:
            print(f"crash: warning: {planj} changed before iteration {it} (rebuilt by someone?); "
                  f"later iterations test the new binary", flush=True)
            binary = now
        if ep is None or fresh or ep.failed:
            close_epoch(ep)
            ep = Epoch(args.tmp, it)
        problems: list[str] = []
        t0 = time.monotonic()
        try:
            run_iteration(it, rng, ep, planj, args.writers, stats, problems)
            # Before a journal is dropped, its last post-crash writes are verified too.
            if not problems and (it == last or fresh_draw(seed, it + 1)[1]):
                verify(planj, ep.journal, problems, "after the post-crash writes", stats)
        except HarnessError as e:
            problems.append(str(e))
        except Exception:  # a harness bug must not pass as success
            problems.append("harness error:\n" + traceback.format_exc())
        if problems:
            failed += 1
            ep.failed = True
            shown = problems[:MAX_PROBLEMS_SHOWN]
            more = len(problems) - len(shown)
            text = (f"FAIL iteration {it} (seed {seed}, journal since iteration {ep.first}, "
                    f"{time.monotonic() - t0:.1f} s)\n  temp dir (kept): {ep.dir}\n"
                    f"  inputs, acks, stderr: {os.path.join(ep.dir, f'it{it}')}\n"
                    + "".join(f"  - {p}\n" for p in shown)
                    + (f"  ... and {more} more\n" if more > 0 else "")
                    + f"  reproduce: python3 tools/crash/crash_test.py --planj {planj} --seed {seed} "
                      f"--first {ep.first} --iterations {it - ep.first + 1} --writers {args.writers}")
            failures.append(text)
            print(text, flush=True)
        else:
            passed += 1
        done = it - args.first + 1
        if args.progress_every > 0 and (done % args.progress_every == 0 or it == last):
            size = 0
            for suffix in ("", "-wal"):
                try:
                    size += os.path.getsize(ep.journal + suffix)
                except OSError:
                    pass
            print(f"crash: {done}/{args.iterations} iterations, {passed} passed, {failed} failed, "
                  f"{time.monotonic() - started:.1f} s; {stats.acked} acked of {stats.sent} sent events, "
                  f"writers killed {stats.killed}, closed {stats.graceful}, ingests {stats.ingests} "
                  f"({stats.ingests_killed} killed), longest run {stats.max_run} events, "
                  f"at most {stats.snapshots} snapshots, "
                  f"journal {size / 1e6:.1f} MB", flush=True)
    close_epoch(ep)

    elapsed = time.monotonic() - started
    if failures:
        print(f"\ncrash: {failed} failed iteration(s), details:")
        for f in failures:
            print(f)
    print(f"crash: seed {seed}, {elapsed:.1f} s")
    print(f"crash: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
