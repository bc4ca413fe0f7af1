#!/usr/bin/env python3
"""Crash test of the runner: SIGKILL `planj run` (and sometimes `planj resume`) mid-run, then
`planj resume` must finish the run with every step completed exactly once.

Each iteration starts `planj run` with the Python example agent (tools/agents/example_agent.py) as
planner and executor, a goal of 4-30 words (so the right answer is known: its word count), random
--parallel and a random per-step delay, and kills it with SIGKILL after a random delay. While the
run is unfinished, `planj resume RUN` is started; now and then it is killed too, and resumed again.
Then, per run:
  1. `planj verify RUN` exits 0;
  2. the run ended `succeeded` with the right final answer;
  3. every step of the final plan has exactly one `step.completed` event (no step ran to
     completion twice), and no event follows `run.completed`.

    python3 tools/crash/runner_crash_test.py [--iterations 20] [--seed S] [--planj PATH]

The last line is exactly `runner-crash: N passed, M failed`; exit status 1 when M > 0.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENT = "cmd:python3 " + os.path.join(ROOT, "tools", "agents", "example_agent.py")


def planj_default():
    """The newest build of planj (debug or release)."""
    builds = [p for p in (os.path.join(ROOT, b, "planj") for b in (".build/release", ".build/debug")) if os.path.exists(p)]
    if not builds:
        sys.exit("runner-crash: build planj first (swift build)")
    return max(builds, key=os.path.getmtime)


def events(planj, journal, run):
    out = subprocess.run([planj, "--journal", journal, "events", run], capture_output=True, text=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def finished(evs):
    return bool(evs) and evs[-1]["kind"] == "run.completed"


def iteration(planj, journal, it, rng, env):
    run = f"crash-{it}"
    words = " ".join(f"w{k}" for k in range(rng.randint(4, 30)))
    env = dict(env, EXAMPLE_AGENT_SLEEP=f"{rng.uniform(0.02, 0.25):.3f}")
    cmd = [planj, "--journal", journal, "run", "--goal", words, "--planner", AGENT, "--executor", AGENT,
           "--run-id", run, "--parallel", str(rng.randint(1, 3)), "--quiet", "--json"]
    kills = 0
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    time.sleep(rng.uniform(0.05, 1.0))
    if proc.poll() is None:
        proc.kill()
        kills += 1
    proc.wait()
    if not events(planj, journal, run):
        # Killed before run.started was written: there is nothing to resume; run it whole.
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for attempt in range(6):
        if finished(events(planj, journal, run)):
            break
        resume = subprocess.Popen([planj, "--journal", journal, "resume", run, "--quiet", "--json"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        if attempt < 2 and rng.random() < 0.4:
            time.sleep(rng.uniform(0.05, 0.5))
            if resume.poll() is None:
                resume.kill()
                kills += 1
        try:
            _, err = resume.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            resume.kill()
            return [f"resume of {run} hung"], kills
        if resume.returncode not in (0, -9) and not finished(events(planj, journal, run)):
            return [f"resume of {run} exited {resume.returncode}: {err.decode()[-400:]}"], kills
    problems = []
    evs = events(planj, journal, run)
    if not finished(evs):
        return [f"{run} is still unfinished after resumes"], kills
    if subprocess.run([planj, "--journal", journal, "verify", run], capture_output=True).returncode != 0:
        problems.append(f"verify {run} failed")
    done = evs[-1]["data"]
    expected = str(len(words.split()))
    if done.get("status") != "succeeded" or done.get("final_answer") != expected:
        problems.append(f"{run} ended {done.get('status')} with answer {done.get('final_answer')!r}, expected {expected}")
    state = json.loads(subprocess.run([planj, "--journal", journal, "show", run, "--json"],
                                      capture_output=True, text=True).stdout)
    plan = next(p for p in state["plans"] if p["version"] == state["current_version"])
    for step in plan["steps"]:
        n = sum(1 for e in evs if e["kind"] == "step.completed" and e["data"]["step_id"] == step["id"])
        if n != 1:
            problems.append(f"{run}: step {step['id']} completed {n} times")
    return problems, kills


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--planj", default=None)
    args = ap.parse_args()
    planj = os.path.abspath(args.planj or planj_default())
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"runner-crash: {planj}, seed {seed}", flush=True)
    tmp = tempfile.mkdtemp(prefix="planj-runner-crash-")
    journal = os.path.join(tmp, "journal.sqlite")
    env = dict(os.environ)
    env.pop("PLANJOURNAL_PATH", None)
    passed = failed = kills = 0
    for it in range(args.iterations):
        problems, k = iteration(planj, journal, it, rng, env)
        kills += k
        if problems:
            failed += 1
            print(f"iteration {it} FAILED (seed {seed}, journal kept in {tmp}):", *problems, sep="\n  ", flush=True)
        else:
            passed += 1
    if failed == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"runner-crash: {kills} processes killed")
    print(f"runner-crash: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
