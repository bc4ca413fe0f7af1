#!/usr/bin/env python3
"""Generate a deterministic corpus of plan-and-execute agent runs in the PlanJournal wire format.

Every run is simulated: a planner model analyses the goal and proposes a DAG plan (3-15 steps,
several roots), sometimes a reviewer scores it and humans approve gated steps, an executor model
runs ready steps concurrently (their events interleave), tools return observations of realistic
size (source files, JSON API bodies, logs, HTML; median ~1 KB, tail to several hundred KB),
steps fail with Python tracebacks, are retried, trigger replans (plan.revised), are skipped, and
the run ends with run.completed whose totals equal the sums of its model calls. Model prompts
resend the agent's fixed system prompt and the current plan on every call, as real agents do.

Usage:
    python3 tools/gen_corpus.py --seed 1 --runs 100 [--interleave K] [--out FILE]
    python3 tools/gen_corpus.py --seed 7 --events 60000 --interleave 4 --out corpus.jsonl

Output: JSON Lines (one compact event per line, keys v, run, seq, ts, kind, actor, cause, data)
on stdout or FILE; each run's events in seq order, K runs interleaved at random when
--interleave K > 1. Same seed and arguments give byte-identical output. A one-line summary
(runs, events, bytes, seconds) goes to stderr; nothing else is printed.
Python 3.11 standard library only.
"""
from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import math
import os
import random
import sys
import time
import zlib

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

WORDS = """the of and to a in is that for it as with on be by this are or from at which an not
have has can will their more all been also other its into when used may these some such than them
only two time new system data we this should would each there after before if then so because any
most first over where while about between during without within under both same through however
user request value file error change test build service model output input step plan result run
function method type field config version release issue case query table record event state
process server client cache index token response update support report number list path module
package option default current previous next line code source document section page api endpoint
message level status check limit timeout retry failure success log metric latency window range
schema column row batch job queue worker thread lock read write call handler parser context key
name id format string object array map set integer boolean null empty missing invalid expected
actual returns returned contains includes requires uses calls reads writes creates removes adds
updates fixes handles checks parses loads stores sends receives starts stops fails passes runs
changed added removed fixed improved deprecated renamed moved merged reverted resolved opened
closed large small fast slow high low early late recent old main final initial local remote
public private internal external stable unstable optional required breaking compatible legacy
performance memory disk network database storage security access permission authentication
customer account billing invoice payment order product price team owner review comment approval
deploy rollback incident alert outage regression upgrade migration dependency library framework
runtime compiler test suite coverage benchmark fixture mock snapshot commit branch tag merge pull
now still already again often usually typically currently probably likely clearly simply only
just very much less least several many few every another either neither one three four five
""".split()
# Zipf-like weights: common words first, so generated prose compresses like real text.
WCUM = []
_acc = 0.0
for _i in range(len(WORDS)):
    _acc += 1.0 / (_i + 8) ** 0.85
    WCUM.append(_acc)

NOUNS = """config token parser header payload record buffer cursor batch schema index cache session
request response client handler worker queue job event metric span trace plan step tool result
options settings manifest lockfile registry package module target entry node edge graph user
account invoice order report summary snapshot journal chunk frame block stream reader writer
""".split()
VERBS = """parse load save build fetch read write resolve validate normalize encode decode merge
split apply compute render flush open close start stop retry check update create delete emit
collect filter sort group format serialize hydrate refresh sync""".split()
HUMANS = ["ana", "bo", "chen", "dmitri", "ewa", "farah", "gus", "hana", "ivan", "jules", "kofi",
          "lena", "maya", "nils", "omar", "priya", "zoë", "józef"]
LOGINS = ["octocat", "dependabot[bot]", "mkowalski", "jsmith-dev", "lhernandez", "tanaka-k",
          "a-petrov", "renovate[bot]", "nguyen-q", "oss-fan", "bkim", "rust-lover", "sre-oncall"]
REPOS = [("acme/billing-service", "python"), ("acme/ingest-pipeline", "python"),
         ("acme/web-dashboard", "typescript"), ("octo/parser-kit", "python"),
         ("octo/swift-log-extras", "swift"), ("northwind/orders-api", "go"),
         ("northwind/inventory", "python"), ("lumen/mobile-ios", "swift"),
         ("lumen/edge-proxy", "go"), ("polar/feature-flags", "typescript"),
         ("polar/ml-features", "python"), ("kestrel/notify", "go"),
         ("kestrel/search-indexer", "python"), ("helix/design-system", "typescript"),
         ("helix/sync-engine", "swift"), ("tundra/etl-jobs", "python")]
SERVICES = ["billing-api", "checkout", "search", "auth-gateway", "orders-api", "notify-worker",
            "ingest", "feature-flags", "inventory-sync", "payments-webhook"]
TOPICS = ["vector databases", "LLM agent evaluation", "Postgres logical replication",
          "WebAssembly component model", "zero-downtime schema migrations", "OpenTelemetry GenAI",
          "Swift structured concurrency", "rate limiting algorithms", "CRDT text editing",
          "LZ4 versus Zstandard", "feature flag rollouts", "SQLite WAL mode"]
PACKAGES = ["requests", "pydantic", "fastapi", "sqlalchemy", "httpx", "numpy", "react", "vite",
            "swift-nio", "grpc-go", "zod", "celery", "boto3", "pytest", "express"]
TABLES = ["orders", "invoices", "events", "sessions", "payments", "users", "subscriptions"]

# model name -> (USD per 1M input tokens, USD per 1M output tokens, ms per output token)
MODELS = {"gpt-4o": (2.5, 10.0, 18), "gpt-4.1": (2.0, 8.0, 16), "claude-3-5-sonnet": (3.0, 15.0, 20),
          "gemini-1.5-pro": (1.25, 5.0, 15), "o3-mini": (1.1, 4.4, 12),
          "llama-3.1-8b": (0.05, 0.08, 5), "gpt-4o-mini": (0.15, 0.6, 8),
          "claude-3-5-haiku": (0.8, 4.0, 9), "qwen2.5-7b-instruct": (0.04, 0.1, 6),
          "mistral-small": (0.2, 0.6, 7)}
PLANNERS = ["gpt-4o", "gpt-4.1", "claude-3-5-sonnet", "gemini-1.5-pro", "o3-mini"]
EXECUTORS = ["llama-3.1-8b", "gpt-4o-mini", "claude-3-5-haiku", "qwen2.5-7b-instruct", "mistral-small"]

# agent name -> (version, scenarios it runs)
AGENTS = {"devbot": ("1.8.2", ["bugfix", "upgrade"]), "scholar": ("0.9.0", ["research"]),
          "datapilot": ("2.1.0", ["analysis"]), "shipit": ("0.4.3", ["release"]),
          "sre-copilot": ("3.0.1", ["incident"]), "helpdesk-agent": ("1.2.0", ["support"]),
          "generalist": ("0.12.5", ["bugfix", "research", "analysis", "release", "incident",
                                    "support", "upgrade"])}

TOOL_DOCS = {
    "read_file": "read_file(path, repo) -> text. Returns the file at the pinned commit; binary files are rejected.",
    "http_get": "http_get(url, timeout=30) -> body. Follows redirects, returns text or JSON; HTML is returned as is.",
    "web_search": "web_search(query, top_k=8) -> JSON list of {title, url, snippet}.",
    "github_api": "github_api(method, endpoint) -> JSON. Authenticated REST call; paginated lists return the first page.",
    "run_tests": "run_tests(command, cwd, timeout_s) -> log. Runs the test command in the sandbox; non-zero exit is an error.",
    "shell": "shell(command, cwd) -> stdout+stderr. Read-only sandbox; output is truncated at 64 KiB.",
    "sql_query": "sql_query(database, query) -> rows. Read replica only; statement timeout 30 s.",
    "fetch_metrics": "fetch_metrics(service, query, range, step) -> Prometheus matrix JSON.",
    "query_logs": "query_logs(service, query, since, limit) -> log lines, newest last.",
    "python_exec": "python_exec(code) -> stdout. Sandboxed CPython 3.11 with pandas and numpy.",
    "write_file": "write_file(path, content) -> {ok, bytes}. Writes into the working tree.",
    "apply_patch": "apply_patch(patch) -> output of `git apply --verbose`.",
    "post_message": "post_message(channel, text) -> {ok, ts}. Posts to the team chat. Visible to humans.",
    "send_email": "send_email(to, subject, body) -> {id}. Sends from the agent mailbox. Visible to humans.",
    "create_pull_request": "create_pull_request(repo, title, head, base, body) -> pull request JSON.",
}
RULES = [
    "Never invent tool results; if an observation is missing, say so and replan.",
    "Prefer independent steps that can run in parallel; declare every dependency in depends_on.",
    "Each step uses one tool; follow-up calls of the same tool (next page, another file) are allowed.",
    "Steps that are visible to other people (messages, emails, pull requests) require approval.",
    "Quote file paths, identifiers and error messages exactly as observed.",
    "Keep step ids short, lowercase, snake_case and unique within the plan.",
    "When a step fails twice with the same error, do not retry it a third time; propose a different approach.",
    "Respect the budget in the run config; stop and report when it would be exceeded.",
    "Do not read secrets, credentials or files outside the working tree.",
    "Summaries must be factual and cite the step that produced each fact.",
    "Return JSON only when the output format says so; no prose around it.",
    "If the goal is ambiguous, state the assumption you made in the rationale.",
    "Large observations are truncated; ask for a narrower query instead of guessing the rest.",
    "Write code changes as minimal unified diffs against the current working tree.",
    "Expected outputs must be checkable: name the format and what success looks like.",
    "Prefer read-only tools; mutating tools run only after their inputs were verified.",
    "Do not repeat a step whose output is already in the context.",
    "Use the executor for mechanical work and keep reasoning in the plan rationale.",
]

# ---------------------------------------------------------------------------------------------
# Text primitives
# ---------------------------------------------------------------------------------------------


def b62(rng, n):
    return "".join(rng.choices("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", k=n))


def hexs(rng, n):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def size_ln(rng, median, sigma, lo, hi):
    """A log-normal size in bytes, clamped to [lo, hi]."""
    return int(min(hi, max(lo, median * math.exp(rng.gauss(0.0, sigma)))))


def sentences(rng, nbytes):
    words = rng.choices(WORDS, cum_weights=WCUM, k=max(4, nbytes // 6))
    out, i = [], 0
    while i < len(words):
        k = rng.randint(5, 19)
        s = words[i:i + k]
        i += k
        s[0] = s[0].capitalize()
        if len(s) > 9 and rng.random() < 0.4:
            s[len(s) // 2] += ","
        out.append(" ".join(s) + ("." if rng.random() < 0.92 else ":"))
    return out


def prose(rng, nbytes):
    sents = sentences(rng, nbytes)
    paras, i = [], 0
    while i < len(sents):
        k = rng.randint(2, 6)
        paras.append(" ".join(sents[i:i + k]))
        i += k
    return "\n\n".join(paras)


def sentence(rng, nbytes=70):
    return sentences(rng, nbytes)[0]


def ident(rng, style="snake"):
    v, n = rng.choice(VERBS), rng.choice(NOUNS)
    return f"{v}_{n}" if style == "snake" else v + n.capitalize()


def iso(rng, day_lo=1, day_hi=27):
    return (f"2026-{rng.randint(9, 11):02d}-{rng.randint(day_lo, day_hi):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z")


def truncate(text, limit):
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... [truncated {len(text) - limit} bytes]"


# ---------------------------------------------------------------------------------------------
# Content generators: code, JSON bodies, logs, HTML, tracebacks
# ---------------------------------------------------------------------------------------------

LANGS = {
    "python": dict(ext="py", comment="#", header='"""{doc}"""\nfrom __future__ import annotations\n\nimport json\nimport logging\nfrom dataclasses import dataclass, field\nfrom typing import Any, Iterable\n\nlogger = logging.getLogger(__name__)\n',
                   func="\n\ndef {f}({a}: {T}, {b}: int = {n}) -> {T}:\n    \"\"\"{s}\"\"\"\n", end="",
                   lines=["{v} = {f}({w}, {n})", "if {v} is None:\n        return {w}",
                          "for {v} in {w}:\n        {x}.append({f}({v}))", "{v}.{x} = {w}",
                          "logger.debug(\"{s} %s\", {v})", "result[\"{x}\"] = {v}.get(\"{w}\", {n})",
                          "try:\n        {v} = {f}({w})\n    except ValueError as exc:\n        logger.warning(\"{s} %s\", exc)\n        {v} = None",
                          "# {s}", "assert {v} >= {n}, \"{s}\"", "{v} = [{f}(item) for item in {w} if item]",
                          "return {v}"]),
    "swift": dict(ext="swift", comment="//", header="// {doc}\n\nimport Foundation\nimport Logging\n",
                  func="\n/// {s}\npublic func {f}(_ {a}: {T}, {b}: Int = {n}) throws -> {T} {{\n", end="}\n",
                  lines=["let {v} = try {f}({w}, limit: {n})", "guard let {v} = {w} else {{ return {x} }}",
                         "for {v} in {w} {{\n        {x}.append(try {f}({v}))\n    }}", "self.{v} = {w}",
                         "logger.debug(\"{s} \\({v})\")", "var {v}: [String: Int] = [:]",
                         "if {v}.isEmpty {{\n        throw JournalError.invalid(\"{s}\")\n    }}", "// {s}",
                         "{v}[\"{x}\", default: 0] += {n}", "return {v}"]),
    "go": dict(ext="go", comment="//", header="// {doc}\npackage main\n\nimport (\n\t\"context\"\n\t\"encoding/json\"\n\t\"fmt\"\n\t\"log/slog\"\n)\n",
               func="\n// {f} {s}\nfunc {f}(ctx context.Context, {a} {T}, {b} int) ({T}, error) {{\n", end="}\n",
               lines=["{v}, err := {f}(ctx, {w}, {n})\n\tif err != nil {{\n\t\treturn nil, fmt.Errorf(\"{s}: %w\", err)\n\t}}",
                      "for _, {v} := range {w} {{\n\t\t{x} = append({x}, {v})\n\t}}", "slog.Debug(\"{s}\", \"{v}\", {v})",
                      "// {s}", "{v}.{x} = {w}", "if len({v}) == 0 {{\n\t\treturn nil, nil\n\t}}", "return {v}, nil"]),
    "typescript": dict(ext="ts", comment="//", header="// {doc}\nimport {{ z }} from \"zod\";\nimport type {{ Request, Response }} from \"express\";\n",
                       func="\n/** {s} */\nexport async function {f}({a}: {T}, {b} = {n}): Promise<{T}> {{\n", end="}\n",
                       lines=["const {v} = await {f}({w}, {n});", "if (!{v}) {{\n    return {w};\n  }}",
                              "for (const {v} of {w}) {{\n    {x}.push({f}({v}));\n  }}", "// {s}",
                              "{v}.{x} = {w};", "console.debug(`{s} ${{{v}}}`);", "return {v};"]),
}
TYPES = {"python": ["dict[str, Any]", "list[str]", "bytes", "Plan"], "swift": ["[String]", "Data", "Plan", "[String: Int]"],
         "go": ["*Plan", "[]string", "map[string]int", "[]byte"], "typescript": ["Plan", "string[]", "Record<string, number>"]}


def gen_code(rng, nbytes, lang):
    spec, style = LANGS[lang], "snake" if lang == "python" else "camel"
    names = [ident(rng, style) for _ in range(24)]
    fields = rng.sample(NOUNS, 12)
    indent = "    " if lang != "go" else "\t"
    parts = [spec["header"].format(doc=sentence(rng, 80))]
    size = len(parts[0])
    while size < nbytes:
        p = spec["func"].format(f=rng.choice(names), a=rng.choice(fields), b=rng.choice(fields),
                                T=rng.choice(TYPES[lang]), n=rng.randint(0, 64), s=sentence(rng, 60))
        body = [p]
        for _ in range(rng.randint(3, 14)):
            body.append(indent + rng.choice(spec["lines"]).format(
                v=rng.choice(fields), w=rng.choice(fields), x=rng.choice(fields), f=rng.choice(names),
                n=rng.randint(0, 1000), s=sentence(rng, 45).rstrip(".:")) + "\n")
        body.append(spec["end"])
        chunk = "".join(body)
        parts.append(chunk)
        size += len(chunk)
    return "".join(parts)


def gen_diff(rng, lang, path):
    code = gen_code(rng, size_ln(rng, 700, 0.6, 200, 4000), lang).splitlines()
    out = [f"diff --git a/{path} b/{path}", f"index {hexs(rng, 7)}..{hexs(rng, 7)} 100644",
           f"--- a/{path}", f"+++ b/{path}"]
    i = 0
    while i < len(code):
        hunk = code[i:i + rng.randint(6, 14)]
        out.append(f"@@ -{i + 40},{len(hunk)} +{i + 40},{len(hunk) + 1} @@")
        for j, line in enumerate(hunk):
            out.append(("-" if j == len(hunk) // 2 else " ") + line)
            if j == len(hunk) // 2:
                out.append("+" + line.replace("0", "1").replace("None", "default"))
        i += len(hunk) + rng.randint(5, 40)
    return "\n".join(out) + "\n"


def gen_json_records(rng, nbytes, make, pretty):
    items, size = [], 0
    while size < nbytes or not items:
        it = make(rng, len(items))
        items.append(it)
        size += len(json.dumps(it)) + (len(it) * 6 if pretty else 0)
    return json.dumps(items, indent=2 if pretty else None, ensure_ascii=False)


def gh_issue(repo):
    def make(rng, i):
        num = 4000 - i * 3 - rng.randint(0, 2)
        user = rng.choice(LOGINS)
        labels = rng.sample(["bug", "enhancement", "regression", "docs", "good first issue", "P1", "needs-triage"], rng.randint(0, 3))
        return {"url": f"https://api.github.com/repos/{repo}/issues/{num}", "html_url": f"https://github.com/{repo}/issues/{num}",
                "id": rng.randint(10**9, 3 * 10**9), "node_id": "I_kwDO" + b62(rng, 14), "number": num,
                "title": sentence(rng, 60).rstrip("."), "user": {"login": user, "id": zlib.crc32(user.encode()), "type": "Bot" if "[bot]" in user else "User"},
                "labels": [{"name": lb, "color": "%06x" % (zlib.crc32(lb.encode()) & 0xFFFFFF)} for lb in labels],
                "state": rng.choice(["open", "open", "closed"]), "locked": False, "comments": rng.randint(0, 30),
                "created_at": iso(rng), "updated_at": iso(rng), "author_association": rng.choice(["MEMBER", "CONTRIBUTOR", "NONE"]),
                "body": prose(rng, size_ln(rng, 350, 0.9, 40, 6000))}
    return make


def gh_commit(repo):
    def make(rng, i):
        sha, who = hexs(rng, 40), rng.choice(HUMANS)
        return {"sha": sha, "commit": {"author": {"name": who.capitalize(), "email": f"{who}@example.com", "date": iso(rng)},
                                       "message": sentence(rng, 60) + ("\n\n" + prose(rng, 200) if rng.random() < 0.3 else "")},
                "url": f"https://api.github.com/repos/{repo}/commits/{sha}", "parents": [{"sha": hexs(rng, 40)}]}
    return make


def search_hit(rng, i):
    host = rng.choice(["docs.python.org", "github.com", "stackoverflow.com", "blog.example.dev", "arxiv.org", "news.ycombinator.com"])
    return {"rank": i + 1, "title": sentence(rng, 55).rstrip("."), "url": f"https://{host}/{ident(rng)}/{rng.randint(10, 99999)}",
            "snippet": sentence(rng, 160)}


def alert(rng, i):
    svc = rng.choice(SERVICES)
    return {"fingerprint": hexs(rng, 16), "status": {"state": rng.choice(["active", "suppressed"])}, "startsAt": iso(rng, 20, 24),
            "labels": {"alertname": rng.choice(["HighErrorRate", "LatencySLOBurn", "PodCrashLooping", "QueueBacklog"]), "service": svc,
                       "severity": rng.choice(["page", "ticket"]), "namespace": "prod"},
            "annotations": {"summary": sentence(rng, 70), "runbook_url": f"https://runbooks.internal/{svc}"}}


def gen_metrics(rng, nbytes, service):
    pts, t, v = [], 1795500000, rng.uniform(20, 400)
    while len(pts) * 24 < nbytes:
        v = max(0.0, v + rng.gauss(0, v * 0.05))
        pts.append([t, f"{v:.3f}"])
        t += 60
    return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"__name__": "http_request_duration_seconds", "service": service, "quantile": "0.99"}, "values": pts}]}})


def gen_sql(rng, nbytes, table):
    cols = ["id", "created_at", "status", "amount_cents", "currency", "customer_id", "region"]
    rows = []
    while len(rows) * 70 < nbytes:
        rows.append([rng.randint(10**6, 10**7), iso(rng), rng.choice(["paid", "open", "void", "refunded"]),
                     rng.randint(100, 99999), rng.choice(["USD", "EUR", "GBP"]), "cus_" + b62(rng, 10), rng.choice(["us-east", "eu-west", "ap-south"])])
    if rng.random() < 0.4:
        return "\n".join([",".join(cols)] + [",".join(map(str, r)) for r in rows]) + "\n", "text/csv"
    return json.dumps({"table": table, "columns": cols, "rows": rows, "row_count": len(rows)}), "application/json"


def gen_logs(rng, nbytes, service):
    msgs = ["request completed", "upstream timeout after 5000ms", "retrying request attempt=2", "cache miss key=%s" % ident(rng),
            "connection pool exhausted size=50", "payment declined code=card_declined", "slow query duration_ms=%d" % rng.randint(800, 9000),
            "circuit breaker open for dependency=%s" % rng.choice(SERVICES), "healthcheck ok", "panic recovered: index out of range"]
    lines, size, sec = [], 0, rng.randint(0, 3000)
    pod = f"{service}-{hexs(rng, 6)}-{b62(rng, 5).lower()}"
    while size < nbytes:
        sec += rng.randint(0, 3)
        lvl = rng.choices(["INFO", "WARN", "ERROR", "DEBUG"], [6, 2, 2, 1])[0]
        ln = (f"2026-11-24T{8 + sec // 3600 % 4:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.{rng.randint(0, 999):03d}Z {lvl:5} "
              f"[{service}] pod={pod} req_id={hexs(rng, 12)} msg=\"{rng.choice(msgs)}\"")
        lines.append(ln)
        size += len(ln) + 1
    return "\n".join(lines) + "\n"


def gen_test_log(rng, nbytes, lang, ok):
    files = [f"tests/test_{rng.choice(NOUNS)}.py" for _ in range(8)]
    out = ["============================= test session starts ==============================",
           "platform linux -- Python 3.11.7, pytest-8.3.3, pluggy-1.5.0", "rootdir: /workspace", "configfile: pyproject.toml",
           f"collected {rng.randint(80, 1400)} items", ""]
    if lang == "swift":
        out = ["Building for debugging...", f"Build complete! ({rng.uniform(2, 90):.2f}s)", "Test Suite 'All tests' started at 2026-11-24 10:02:11.120."]
    size = sum(map(len, out))
    fails = []
    while size < nbytes * (0.6 if not ok else 1.0):
        if lang == "swift":
            case, res = f"{rng.choice(NOUNS).capitalize()}Tests.test{ident(rng, 'camel').capitalize()}", "passed"
            if not ok and rng.random() < 0.05:
                res = "failed"
                fails.append(case)
            ln = f"Test Case '-[{case}]' {res} ({rng.uniform(0, 0.5):.3f} seconds)."
        else:
            marks = "".join(rng.choices(".", k=rng.randint(5, 60)))
            if not ok and rng.random() < 0.25:
                marks += "F"
                fails.append(f"{rng.choice(files)}::test_{ident(rng)}")
            ln = f"{rng.choice(files)} {marks}{' ' * max(1, 70 - len(marks))}[{min(99, size * 100 // max(1, nbytes)):3d}%]"
        out.append(ln)
        size += len(ln)
    if not ok:
        fails = fails or ["tests/test_parser.py::test_roundtrip"]
        out.append("\n=================================== FAILURES ===================================")
        for f in fails[:12]:
            out.append(f"____________________ {f.split('::')[-1]} ____________________")
            out.append(gen_traceback(rng, "AssertionError", f"assert {rng.randint(0, 99)} == {rng.randint(100, 200)}", "test"))
        out.append(f"=========================== short test summary info ============================")
        out.extend(f"FAILED {f} - AssertionError" for f in fails[:40])
        out.append(f"========== {len(fails)} failed, {rng.randint(50, 1300)} passed in {rng.uniform(5, 400):.2f}s ==========")
    else:
        out.append(f"========== {rng.randint(50, 1300)} passed, {rng.randint(0, 9)} skipped in {rng.uniform(5, 400):.2f}s ==========")
    return "\n".join(out) + "\n"


def gen_html(rng, nbytes, title, site):
    head = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title} — {site}</title>\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<link rel=\"stylesheet\" href=\"https://{site}/_static/theme.css?v=3f2a91\">\n"
            f"<script defer src=\"https://{site}/_static/search.js\"></script>\n</head>\n<body>\n"
            f"<nav class=\"sidebar\"><ul><li><a href=\"/\">Home</a></li><li><a href=\"/guide/\">Guide</a></li>"
            f"<li><a href=\"/reference/\">Reference</a></li><li><a href=\"/changelog/\">Changelog</a></li></ul></nav>\n<main>\n<h1>{title}</h1>\n")
    parts, size = [head], len(head)
    while size < nbytes:
        r = rng.random()
        if r < 0.15:
            p = f"<h2 id=\"{ident(rng)}\">{sentence(rng, 40).rstrip('.')}</h2>\n"
        elif r < 0.3:
            p = f"<pre><code class=\"language-python\">{gen_code(rng, rng.randint(150, 700), 'python')}</code></pre>\n"
        else:
            p = f"<p>{prose(rng, rng.randint(200, 900))}</p>\n"
        parts.append(p)
        size += len(p)
    parts.append("</main>\n<footer>© 2026 " + site + ". Built with Sphinx 8.1.</footer>\n</body>\n</html>\n")
    return "".join(parts)


def gen_markdown(rng, nbytes, title):
    parts, size = [f"# {title}\n"], 0
    while size < nbytes:
        r = rng.random()
        if r < 0.2:
            p = f"\n## {sentence(rng, 35).rstrip('.:')}\n\n"
        elif r < 0.5:
            p = "".join(f"- {sentence(rng, 80)}\n" for _ in range(rng.randint(2, 7)))
        elif r < 0.6:
            p = f"\n```\n{gen_code(rng, rng.randint(100, 500), 'python')}```\n"
        else:
            p = prose(rng, rng.randint(150, 600)) + "\n"
        parts.append(p)
        size += len(p)
    return "".join(parts)


def gen_changelog(rng, nbytes, pkg):
    parts, size, major, minor = [f"# Changelog\n\nAll notable changes to {pkg} are documented here.\n"], 0, rng.randint(1, 5), 20
    while size < nbytes and minor > 0:
        p = f"\n## [{major}.{minor}.0] - {iso(rng)[:10]}\n\n" + "".join(
            f"- {rng.choice(['Added', 'Fixed', 'Changed', 'Removed', 'Deprecated'])}: {sentence(rng, 70)} (#{rng.randint(100, 9999)})\n"
            for _ in range(rng.randint(2, 12)))
        parts.append(p)
        size += len(p)
        minor -= 1
    return "".join(parts)


TB_FRAMES = {
    "agent": [("/srv/agent/planjournal_agent/executor.py", "run_step", "result = await self._invoke(step, attempt=attempt)"),
              ("/srv/agent/planjournal_agent/executor.py", "_invoke", "return await tool(**resolved_args)"),
              ("/srv/agent/planjournal_agent/tools/base.py", "__call__", "out = await self.run(**kwargs)")],
    "http": [("/srv/agent/.venv/lib/python3.11/site-packages/httpx/_client.py", "get", "return await self.request("),
             ("/srv/agent/.venv/lib/python3.11/site-packages/httpx/_client.py", "send", "response = await self._send_handling_auth("),
             ("/srv/agent/.venv/lib/python3.11/site-packages/httpx/_models.py", "raise_for_status", "raise HTTPStatusError(message, request=request, response=self)")],
    "proc": [("/usr/local/lib/python3.11/subprocess.py", "run", "raise CalledProcessError(retcode, process.args,"),
             ("/usr/local/lib/python3.11/asyncio/tasks.py", "wait_for", "return fut.result()")],
    "sql": [("/srv/agent/.venv/lib/python3.11/site-packages/psycopg/cursor.py", "execute", "raise ex.with_traceback(None)")],
    "model": [("/srv/agent/planjournal_agent/llm.py", "complete_json", "return self.schema.model_validate_json(text)"),
              ("/srv/agent/.venv/lib/python3.11/site-packages/pydantic/main.py", "model_validate_json", "return cls.__pydantic_validator__.validate_json(json_data)")],
    "test": [("/workspace/tests/conftest.py", "run_case", "outcome = case()"), ("/workspace/src/core.py", "roundtrip", "assert decoded == original")],
    "file": [("/srv/agent/planjournal_agent/tools/fs.py", "read_file", "with open(full, encoding=\"utf-8\") as fh:")],
}


def gen_traceback(rng, etype, message, family):
    frames = (TB_FRAMES["agent"] if family != "test" else []) + TB_FRAMES.get(family, [])
    out = ["Traceback (most recent call last):"]
    for path, func, code in frames:
        out.append(f"  File \"{path}\", line {zlib.crc32((path + func).encode()) % 900 + 20}, in {func}\n    {code}")
    out.append(f"{etype}: {message}")
    return "\n".join(out)


# tool family -> [(error type, message template, retryable)]
ERRORS = {
    "http": [("httpx.HTTPStatusError", "Server error '503 Service Unavailable' for url '{target}'", True),
             ("httpx.ReadTimeout", "The read operation timed out", True),
             ("httpx.HTTPStatusError", "Client error '404 Not Found' for url '{target}'", False),
             ("httpx.HTTPStatusError", "Client error '429 Too Many Requests' for url '{target}'", True)],
    "file": [("FileNotFoundError", "[Errno 2] No such file or directory: '{target}'", False),
             ("UnicodeDecodeError", "'utf-8' codec can't decode byte 0x9c in position 1047: invalid start byte", False)],
    "proc": [("subprocess.CalledProcessError", "Command '{target}' returned non-zero exit status 1.", False),
             ("subprocess.TimeoutExpired", "Command '{target}' timed out after 900 seconds", True)],
    "sql": [("psycopg.errors.QueryCanceled", "canceling statement due to statement timeout", True),
            ("psycopg.errors.UndefinedColumn", "column \"amount\" does not exist\nLINE 1: SELECT sum(amount) FROM {target}", False)],
    "model": [("pydantic_core.ValidationError", "1 validation error for StepOutput\nsummary\n  Field required [type=missing, input_value={{'items': [...]}}, input_type=dict]", True),
              ("json.decoder.JSONDecodeError", "Expecting ',' delimiter: line 14 column 7 (char 412)", True),
              ("openai.BadRequestError", "Error code: 400 - {{'error': {{'message': \"This model's maximum context length is 32768 tokens.\", 'type': 'invalid_request_error'}}}}", False)],
}
TOOL_FAMILY = {"http_get": "http", "web_search": "http", "github_api": "http", "fetch_metrics": "http", "query_logs": "http",
               "read_file": "file", "run_tests": "proc", "shell": "proc", "python_exec": "proc", "apply_patch": "proc",
               "sql_query": "sql", "write_file": "file", "post_message": "http", "send_email": "http", "create_pull_request": "http"}
FAIL_P = {"http_get": 0.12, "web_search": 0.04, "github_api": 0.08, "run_tests": 0.25, "shell": 0.08, "sql_query": 0.1,
          "read_file": 0.04, "query_logs": 0.06, "fetch_metrics": 0.05, "python_exec": 0.1, "apply_patch": 0.12, None: 0.05}


class World:
    """Shared resources (files, pages, API bodies): content is a pure function of (seed, key), so
    the same resource observed in two runs is byte-identical. A bounded cache avoids rebuilding."""

    def __init__(self, seed):
        self.seed, self.cache, self.cached_bytes = seed, {}, 0

    def get(self, key, build):
        hit = self.cache.get(key)
        if hit is None:
            hit = build(random.Random(f"res:{self.seed}:{key}"))
            self.cache[key] = hit
            self.cached_bytes += len(hit[0])
            while self.cached_bytes > 48 << 20:
                old = self.cache.pop(next(iter(self.cache)))
                self.cached_bytes -= len(old[0])
        return hit

    @staticmethod
    def repo_files(repo, lang):
        rng = random.Random(f"files:{repo}")
        ext = LANGS[lang]["ext"]
        pkg = repo.split("/")[1].replace("-", "_")
        files = [f"src/{pkg}/{rng.choice(NOUNS)}_{rng.choice(NOUNS)}.{ext}" for _ in range(40)]
        files += [f"tests/test_{rng.choice(NOUNS)}.{ext}" for _ in range(10)]
        rng.shuffle(files)
        return ["README.md", {"python": "pyproject.toml", "swift": "Package.swift", "go": "go.mod", "typescript": "package.json"}[lang],
                "CHANGELOG.md"] + files + [{"python": "poetry.lock", "swift": "Package.resolved", "go": "go.sum", "typescript": "package-lock.json"}[lang]]


def build_docs_page(url):
    def build(rng):
        title = sentence(rng, 40).rstrip(".")
        if rng.random() < 0.3:
            return gen_html(rng, size_ln(rng, 6000, 1.0, 1500, 300000), title, url.split("/")[2]), "text/html"
        return gen_markdown(rng, size_ln(rng, 1000, 0.9, 300, 80000), title), "text/markdown"
    return build


def gen_registry(rng, pkg):
    versions = {f"{a}.{b}.0": {"released": iso(rng), "yanked": rng.random() < 0.05} for a in range(1, 6) for b in range(rng.randint(2, 12))}
    return json.dumps({"name": pkg, "dist-tags": {"latest": list(versions)[-1]}, "versions": versions})


def gen_ticket(rng, ticket):
    comments = [{"author": rng.choice(HUMANS), "body": prose(rng, rng.randint(100, 900))} for _ in range(rng.randint(1, 5))]
    return json.dumps({"ticket": {"id": ticket, "subject": sentence(rng, 50), "status": "open", "priority": rng.choice(["normal", "high"]),
                                  "comments": comments}}, ensure_ascii=False)


def zipf_pick(rng, seq, skew=2.0):
    return seq[min(len(seq) - 1, int(len(seq) * rng.random() ** skew))]


def gen_manifest(rng, lang):
    """A dependency manifest (pyproject.toml, Package.swift, go.mod or package.json)."""
    deps = [(p, f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}") for p in rng.sample(PACKAGES, rng.randint(4, 12))]
    name = ident(rng).replace("_", "-")
    if lang == "python":
        return (f"[project]\nname = \"{name}\"\nversion = \"0.{rng.randint(1, 40)}.0\"\nrequires-python = \">=3.11\"\ndependencies = [\n"
                + "".join(f"    \"{p}>={v}\",\n" for p, v in deps) + "]\n\n[tool.pytest.ini_options]\naddopts = \"-q\"\n"), "application/toml"
    if lang == "swift":
        return ("// swift-tools-version:5.9\nimport PackageDescription\n\nlet package = Package(\n    name: \"" + name + "\",\n    dependencies: [\n"
                + "".join(f"        .package(url: \"https://github.com/example/{p}.git\", from: \"{v}\"),\n" for p, v in deps)
                + "    ],\n    targets: [.target(name: \"Core\"), .testTarget(name: \"CoreTests\", dependencies: [\"Core\"])]\n)\n"), "text/x-swift"
    if lang == "go":
        return (f"module github.com/example/{name}\n\ngo 1.22\n\nrequire (\n"
                + "".join(f"\tgithub.com/example/{p} v{v}\n" for p, v in deps) + ")\n"), "text/plain"
    return json.dumps({"name": name, "version": "1.0.0", "type": "module", "scripts": {"build": "vite build", "test": "vitest run"},
                       "dependencies": {p: "^" + v for p, v in deps}}, indent=2) + "\n", "application/json"


def build_file(path, lang):
    def build(rng):
        if path.endswith(("lock", ".sum", "lock.json", ".resolved")):
            n = size_ln(rng, 22000, 0.9, 4000, 420000)
            if path.endswith((".sum", ".lock")):
                lines = []
                while len(lines) * 80 < n:
                    name, ver = f"{rng.choice(PACKAGES)}-{rng.choice(NOUNS)}", f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
                    lines.append(f"{name} v{ver} h1:{b62(rng, 43)}=" if path.endswith(".sum") else
                                 f"[[package]]\nname = \"{name}\"\nversion = \"{ver}\"\nfiles = [{{file = \"{name}-{ver}.tar.gz\", hash = \"sha256:{hexs(rng, 64)}\"}}]\n")
                return "\n".join(lines) + "\n", "text/plain"
            return gen_json_records(rng, n, lambda r, i: {"name": r.choice(PACKAGES) + f"-{i}", "version": f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}",
                                                          "resolved": f"https://registry.example.org/{r.choice(PACKAGES)}/-/{hexs(r, 8)}.tgz",
                                                          "integrity": "sha512-" + b62(r, 86)}, True), "application/json"
        if path == "README.md":
            return gen_markdown(rng, size_ln(rng, 2000, 0.6, 500, 20000), path), "text/markdown"
        if path == "CHANGELOG.md":
            return gen_changelog(rng, size_ln(rng, 3000, 0.8, 600, 60000), path), "text/markdown"
        if "/" not in path and path.endswith((".toml", ".swift", ".mod", ".json")):
            return gen_manifest(rng, lang)
        return gen_code(rng, size_ln(rng, 1100, 1.0, 250, 350000), lang), f"text/x-{lang}"
    return build


# ---------------------------------------------------------------------------------------------
# Scenarios: goals and step archetypes (id, tool, resource hint, description, expected, min, max)
# ---------------------------------------------------------------------------------------------

SCENARIOS = {
    "bugfix": dict(goals=["Fix the failing test {test} in {repo}", "Investigate and fix issue #{issue} in {repo}",
                          "Make CI green again on {repo} branch {branch}"],
                   roots=[("fetch_issue", "github_api", "issue", "Fetch issue #{issue} with its comments", "issue JSON", 1, 1),
                          ("read", "read_file", "source", "Read {path} around the failing code path", "source file", 1, 4),
                          ("search_code", "shell", "grep", "Search the code base for usages of {symbol}", "matching lines", 0, 1),
                          ("reproduce_failure", "run_tests", "tests", "Run the failing test to reproduce it", "failing test log", 0, 1)],
                   middle=[("analyze_failure", None, "analysis", "Find the root cause from the logs and the code", "root cause with file and line", 1, 1),
                           ("locate_bug", None, "analysis", "List the lines that must change", "file:line list", 0, 1)],
                   synth=[("write_patch", None, "diff", "Write a minimal patch fixing the root cause", "unified diff", 1, 1),
                          ("apply_patch", "apply_patch", "patch", "Apply the patch to the working tree", "patch applies cleanly", 1, 1),
                          ("run_tests", "run_tests", "tests", "Run the whole test suite with the patch", "all tests pass", 1, 1)],
                   action=[("open_pull_request", "create_pull_request", "pr", "Open a pull request against {branch}", "pull request URL", 1, 1)]),
    "upgrade": dict(goals=["Upgrade {pkg} to the latest major version in {repo}", "Bump all outdated dependencies of {repo} and keep CI green"],
                    roots=[("parse_manifest", "read_file", "manifest", "Read the dependency manifest", "dependency list", 1, 1),
                           ("read_lockfile", "read_file", "lock", "Read the lock file to get resolved versions", "resolved versions", 0, 1),
                           ("check_latest_versions", "http_get", "registry", "Query the registry for the latest {pkg} release", "version metadata JSON", 1, 1),
                           ("fetch_changelog", "http_get", "changelog", "Fetch the upstream changelog of {pkg}", "changelog text", 1, 2)],
                    middle=[("assess_breaking_changes", None, "analysis", "List breaking changes that affect this code base", "bullet list with call sites", 1, 1),
                            ("update_manifest", "write_file", "write", "Write the manifest with the new version constraints", "file written", 1, 1)],
                    synth=[("run_build", "shell", "build", "Build the project with the new dependencies", "build succeeds", 1, 1),
                           ("run_tests", "run_tests", "tests", "Run the test suite", "all tests pass", 1, 1)],
                    action=[("open_pull_request", "create_pull_request", "pr", "Open a pull request with the upgrade", "pull request URL", 1, 1)]),
    "research": dict(goals=["Write a two-page briefing on {topic} for the architecture review", "Compare the main approaches to {topic} and recommend one"],
                     roots=[("search_web", "web_search", "search", "Search the web for recent material on {topic}", "ranked result list", 1, 2),
                            ("fetch_docs", "http_get", "docs", "Fetch the reference documentation page {url}", "documentation page", 1, 3),
                            ("fetch_readme", "read_file", "readme", "Read the README of the reference implementation", "README text", 0, 1)],
                     middle=[("extract_key_points", None, "bullets", "Extract the key claims with their sources", "bullet list with citations", 1, 2),
                             ("compare_approaches", None, "analysis", "Compare the approaches on cost, maturity and risk", "comparison table", 0, 1)],
                     synth=[("draft_briefing", None, "markdown", "Draft the briefing in Markdown", "Markdown document, under 2 pages", 1, 1)],
                     action=[("publish_briefing", "post_message", "message", "Post the briefing to {channel}", "message id", 0, 1),
                             ("save_briefing", "write_file", "write", "Save the briefing to docs/briefings/", "file written", 0, 1)]),
    "analysis": dict(goals=["Explain the drop in {table} volume last week", "Produce the weekly revenue report from the {table} table"],
                     roots=[("query_db", "sql_query", "sql", "Query {table} aggregated by day and region", "rows", 1, 3),
                            ("fetch_metrics", "fetch_metrics", "metrics", "Fetch p99 latency of {service} for the period", "time series", 0, 2),
                            ("load_targets", "read_file", "readme", "Read the quarterly targets document", "targets table", 0, 1)],
                     middle=[("compute_stats", "python_exec", "python", "Compute week-over-week changes and significance", "stats table", 1, 1),
                             ("detect_anomalies", "python_exec", "python", "Detect anomalous days with a robust z-score", "list of anomalous days", 0, 1)],
                     synth=[("summarize_findings", None, "markdown", "Summarize the findings for a non-technical reader", "one-page summary", 1, 1)],
                     action=[("send_report", "send_email", "email", "Email the report to the finance team", "message id", 0, 1)]),
    "release": dict(goals=["Prepare release notes for {repo} {version}", "Summarize breaking changes between {prev} and {version} and announce them"],
                    roots=[("list_commits", "github_api", "commits", "List commits since the {prev} tag", "commit list", 1, 1),
                           ("list_merged_prs", "github_api", "issue", "List pull requests merged since {prev}", "pull request list", 1, 1),
                           ("read_changelog", "read_file", "changelog_file", "Read the current CHANGELOG.md", "changelog text", 0, 1)],
                    middle=[("categorize_changes", None, "json", "Categorize each change as feature, fix or breaking", "JSON categories", 1, 1),
                            ("detect_breaking_changes", None, "bullets", "List breaking changes with migration notes", "bullet list", 0, 1)],
                    synth=[("draft_release_notes", None, "markdown", "Draft the release notes", "Markdown release notes", 1, 1)],
                    action=[("post_release_notes", "post_message", "message", "Post the notes to {channel}", "message id", 1, 1),
                            ("tag_release", "shell", "tag", "Create and push the {version} tag", "tag pushed", 0, 1)]),
    "incident": dict(goals=["Triage the {service} alert: error rate above SLO", "Find why {service} latency doubled since the last deploy"],
                     roots=[("fetch_alerts", "http_get", "alerts", "Fetch active alerts for {service}", "alert JSON", 1, 1),
                            ("query_logs", "query_logs", "logs", "Query error logs of {service} for the last 2 hours", "log lines", 1, 2),
                            ("fetch_metrics", "fetch_metrics", "metrics", "Fetch latency and error-rate series of {service}", "time series", 0, 1),
                            ("list_recent_deploys", "shell", "deploys", "List the recent rollouts of {service}", "rollout history", 0, 1)],
                     middle=[("correlate_events", None, "analysis", "Correlate the alerts, logs and deploys on a timeline", "timeline", 1, 1),
                             ("identify_root_cause", None, "analysis", "State the most likely root cause with evidence", "root cause", 0, 1)],
                     synth=[("draft_incident_summary", None, "markdown", "Draft the incident summary", "Markdown summary", 1, 1)],
                     action=[("page_oncall", "post_message", "message", "Page the on-call engineer in {channel}", "message id", 0, 1),
                             ("rollback_deploy", "shell", "rollback", "Roll back {service} to the previous revision", "rollback complete", 0, 1)]),
    "support": dict(goals=["Answer support ticket #{ticket} about failed invoice payments", "Resolve ticket #{ticket}: customer cannot log in"],
                    roots=[("fetch_ticket", "http_get", "ticket", "Fetch ticket #{ticket} and its history", "ticket JSON", 1, 1),
                           ("search_kb", "web_search", "search", "Search the knowledge base for similar cases", "ranked articles", 1, 1),
                           ("fetch_account", "sql_query", "sql", "Look up the customer's account and invoices", "account rows", 0, 1),
                           ("fetch_recent_errors", "query_logs", "logs", "Query errors for the customer in the last day", "log lines", 0, 1)],
                    middle=[("diagnose", None, "analysis", "Diagnose the customer's problem", "diagnosis", 1, 1)],
                    synth=[("draft_reply", None, "markdown", "Draft a reply to the customer", "polite reply with next steps", 1, 1)],
                    action=[("send_reply", "send_email", "email", "Send the reply to the customer", "message id", 1, 1)]),
}
SEARCH_SUFFIXES = ["best practices", "benchmark", "tutorial", "pitfalls", "comparison", "production", "internals",
                   "migration", "at scale", "alternatives", "security", "cost"]
MULTI_CALL = {"read_file", "github_api", "web_search", "sql_query", "query_logs"}
ALT_SUFFIX = [("_retry_mirror", "using the mirror host"), ("_narrow", "with a narrower query"), ("_alt", "with an alternative approach"),
              ("_v2", "with the corrected arguments"), ("_fallback", "falling back to the cached copy")]


# ---------------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE_US = 1795507200 * 1_000_000  # 2026-11-24T08:00:00Z


def ulid(ms, rng):
    n = (ms << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in range(25, -1, -1))


def fmt_ts(us):
    s, frac = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{frac:06d}Z"


def system_prompt(agent, role, tools):
    """The agent's fixed system prompt for a role (2-4 KB), identical in every run of the corpus."""
    rng = random.Random(f"system:{agent}:{role}")
    head = (f"You are {agent} ({role}), part of a plan-and-execute agent. "
            + {"planner": "You turn a goal into a plan: a DAG of small steps, each with one tool, explicit dependencies and a checkable expected output.",
               "executor": "You execute exactly one plan step at a time: choose the tool arguments, read the observation, and report the step output.",
               "reviewer": "You review plans before execution: check coverage of the goal, dependency order, risk and cost, and give a verdict."}[role])
    parts = [head, "\n\n## Tools\n"] + [f"- {TOOL_DOCS[t]}\n" for t in tools]
    parts += ["\n## Rules\n"] + [f"{i + 1}. {r}\n" for i, r in enumerate(rng.sample(RULES, rng.randint(10, 16)))]
    parts += ["\n## Output format\nRespond with a single JSON object: {\"thought\": string, \"output\": any, \"confidence\": number}.\n",
              "\n## Background\n"]
    missing = rng.randint(2000, 3000) - sum(map(len, parts))
    return "".join(parts) + prose(rng, max(200, missing))


class RunSim:
    """Simulates one run on a virtual clock and records its events; `lines()` serializes them."""

    def __init__(self, seed, index, world):
        self.rng = rng = random.Random(f"run:{seed}:{index}")
        self.world, self.epoch = world, index // 150  # resources churn slowly over the corpus
        self.t0 = BASE_US + index * 37_000_000 + rng.randint(0, 30_000_000)
        self.run_id = ulid(self.t0 // 1000, rng)
        self.agent = rng.choice(sorted(AGENTS))
        self.version, scenarios = AGENTS[self.agent]
        self.scenario = rng.choice(scenarios)
        self.models = {"planner": rng.choice(PLANNERS), "executor": rng.choice(EXECUTORS),
                       "reviewer": rng.choice(["o3-mini", "gpt-4o", "claude-3-5-sonnet"])}
        self.events, self.order = [], 0
        self.tot_in = self.tot_out = 0
        self.tot_cost = 0.0
        self.versions, self.plan_json = {}, {}
        self.used_ids, self.outputs, self.done_ev = set(), {}, {}
        self.max_par = rng.choice([2, 3, 3, 4])
        self.max_attempts = rng.choice([2, 2, 3])
        self.replans_left = rng.choice([1, 2, 2])
        self.ncall = 0
        repo, lang = rng.choice(REPOS)
        self.ctx = dict(repo=repo, lang=lang, test=f"test_{ident(rng)}", issue=rng.randint(200, 4000), branch=rng.choice(["main", "develop", "release/2.x"]),
                        symbol=ident(rng), topic=rng.choice(TOPICS), pkg=rng.choice(PACKAGES), service=rng.choice(SERVICES),
                        table=rng.choice(TABLES), ticket=rng.randint(10000, 99999), channel=rng.choice(["#eng", "#releases", "#incidents", "#data", "#support"]),
                        version=f"v{rng.randint(1, 4)}.{rng.randint(0, 20)}.0", url="", path="")
        self.ctx["prev"] = self.ctx["version"].rsplit(".", 2)[0] + ".0-rc.1" if rng.random() < 0.2 else f"v{rng.randint(0, 1)}.{rng.randint(0, 9)}.0"
        self.files = World.repo_files(repo, lang)

    # -- recording ----------------------------------------------------------------------------
    def emit(self, ts, kind, actor, data, cause=None):
        ev = [ts, self.order, kind, actor, cause, data, 0]
        self.order += 1
        self.events.append(ev)
        return ev

    def lines(self):
        self.events.sort(key=lambda e: (e[0], e[1]))
        out = []
        for seq, ev in enumerate(self.events, 1):
            ev[6] = seq
            cause = ev[4][6] if ev[4] is not None else None
            out.append(json.dumps({"v": 1, "run": self.run_id, "seq": seq, "ts": fmt_ts(ev[0]), "kind": ev[2], "actor": ev[3],
                                   "cause": cause, "data": ev[5]}, separators=(",", ":"), ensure_ascii=False))
        return out

    def call_model(self, t, role, step_id, purpose, task, response, cause):
        """Record one model call that starts at t; returns (event, end time)."""
        rng, model = self.rng, self.models[role]
        plan = f"\n\n## Current plan (version {self.cur_v})\n{self.plan_json[self.cur_v]}" if self.versions else ""
        prompt = f"{self.sys_prompts[role]}\n\n## Goal\n{self.goal}{plan}\n\n## Task\n{task}"
        tin, tout = int(len(prompt) / 3.8) + rng.randint(0, 40), max(1, int(len(response) / 3.6))
        pin, pout, ms_tok = MODELS[model]
        cost = round((tin * pin + tout * pout) / 1e6, 6)
        latency = rng.randint(150, 900) + tout * ms_tok + rng.randint(0, tin // 200)
        self.tot_in, self.tot_out, self.tot_cost = self.tot_in + tin, self.tot_out + tout, self.tot_cost + cost
        ev = self.emit(t + latency * 1000, "call.model", f"model:{model}", {
            "step_id": step_id, "purpose": purpose, "model": model, "prompt": prompt, "response": response,
            "usage": {"input_tokens": tin, "output_tokens": tout}, "latency_ms": latency, "cost_usd": cost,
            "request_id": "req_" + b62(rng, 16)}, cause)
        return ev, t + latency * 1000

    # -- plans --------------------------------------------------------------------------------
    def new_id(self, base):
        sid, k = base, 2
        while sid in self.used_ids:
            sid, k = f"{base}_{k}", k + 1
        self.used_ids.add(sid)
        return sid

    def step_args(self, base, tool, hint, deps):
        """The planner's arguments for a step: returns (args, resource key or None, step id base)."""
        rng, ctx = self.rng, self.ctx
        if hint in ("source", "readme", "manifest", "lock", "changelog_file"):
            fixed = {"readme": "README.md", "manifest": self.files[1], "lock": self.files[-1], "changelog_file": "CHANGELOG.md"}
            path = fixed.get(hint) or zipf_pick(rng, self.files[3:-1], 1.3)
            ctx["path"] = path
            if hint == "source":
                base = "read_" + path.rsplit("/", 1)[-1].split(".")[0]
            return {"repo": ctx["repo"], "path": path}, self.file_key(path), base
        if tool == "http_get":
            url = {"docs": self.docs_url(),
                   "registry": f"https://registry.example.org/{ctx['pkg']}/json",
                   "changelog": f"https://raw.githubusercontent.com/{ctx['pkg']}/{ctx['pkg']}/main/CHANGELOG.md",
                   "alerts": f"https://alertmanager.internal/api/v2/alerts?filter=service%3D{ctx['service']}",
                   "ticket": f"https://support.example.com/api/v2/tickets/{ctx['ticket']}.json"}[hint]
            ctx["url"] = url
            if hint == "docs":
                base = "fetch_docs_" + url.rsplit("/", 1)[1].split(".")[0]
            return {"url": url, "timeout": 30}, url, base
        if tool == "github_api":
            since = rng.choice(["09-01", "10-01", "10-15", "11-01", "11-10", "11-17"])
            what = f"commits?sha={ctx['branch']}&per_page=100" if hint == "commits" else \
                f"issues?state={'open' if base == 'fetch_issue' else 'all'}&per_page=50"
            ep = f"/repos/{ctx['repo']}/{what}&since=2026-{since}"
            return {"method": "GET", "endpoint": ep}, ep, base
        if tool == "web_search":
            q = f"{ctx['topic']} {zipf_pick(rng, SEARCH_SUFFIXES, 1.3)}"
            return {"query": q, "top_k": 8}, f"search@{self.epoch}:{q}", base
        if tool == "run_tests":
            cmd = {"python": "pytest -q -x", "swift": "swift test --parallel", "go": "go test ./...", "typescript": "npx vitest run"}[ctx["lang"]]
            if base == "reproduce_failure":
                cmd += f" -k {ctx['test']}"
            return {"command": cmd, "cwd": f"/workspace/{ctx['repo'].split('/')[1]}", "timeout_s": 900}, None, base
        if tool == "shell":
            svc, ver = ctx["service"], ctx["version"]
            cmd = {"grep": f"grep -rn '{ctx['symbol']}' src/ tests/", "build": "make build",
                   "deploys": f"kubectl rollout history deployment/{svc} -n prod",
                   "tag": f"git tag -s {ver} -m 'Release {ver}' && git push origin {ver}",
                   "rollback": f"kubectl rollout undo deployment/{svc} -n prod"}[hint]
            return {"command": cmd, "cwd": "/workspace"}, None, base
        if tool == "sql_query":
            q = (f"SELECT * FROM {ctx['table']} WHERE created_at >= now() - interval '{rng.choice([7, 14, 30])} days' "
                 f"ORDER BY created_at LIMIT {rng.choice([100, 500, 1000])}")
            return {"database": "analytics_replica", "query": q}, None, base
        if tool == "fetch_metrics":
            q = f'rate(http_requests_total{{service="{ctx["service"]}",code=~"5.."}}[5m])'
            return {"service": ctx["service"], "query": q, "range": rng.choice(["2h", "6h", "24h"]), "step": "60s"}, None, base
        if tool == "query_logs":
            q = f'level:error AND service:"{ctx["service"]}"'
            return {"service": ctx["service"], "query": q, "since": rng.choice(["2h", "6h", "24h"]), "limit": 500}, None, base
        if tool == "python_exec":
            col = rng.choice(["amount_cents", "status", "region"])
            code = (f"import pandas as pd\nfrom agent_runtime import step_output\n\n"
                    f"df = pd.read_json(step_output({deps[0] if deps else 'input'!r}))\n"
                    f"daily = df.groupby(df.created_at.dt.date)[{col!r}].agg(['count', 'sum'])\n"
                    f"daily['wow'] = daily['sum'].pct_change(7) * 100\n"
                    f"z = (daily['sum'] - daily['sum'].median()) / daily['sum'].mad()\n"
                    f"print(daily.assign(z=z).tail({rng.choice([14, 28, 35])}).to_string())\n")
            return {"code": code}, None, base
        # Mutating tools take the output of the step they depend on, resolved at execution time.
        ref = "{{steps." + (deps[-1] if deps else "input") + ".output}}"
        if tool == "write_file":
            return {"path": "docs/briefings/" + ident(rng) + ".md", "content": ref}, None, base
        if tool == "apply_patch":
            return {"patch": ref}, None, base
        if tool == "post_message":
            return {"channel": ctx["channel"], "text": ref}, None, base
        if tool == "send_email":
            return {"to": [f"{rng.choice(HUMANS)}@example.com"], "subject": sentence(rng, 40).rstrip("."), "body": ref}, None, base
        if tool == "create_pull_request":
            return {"repo": ctx["repo"], "title": sentence(rng, 50).rstrip("."), "head": f"agent/{ident(rng)}",
                    "base": ctx["branch"], "body": ref}, None, base
        return {}, None, base  # a model-only step

    def make_step(self, spec, deps):
        """A plan step from a scenario archetype; records (tool, hint, resource key) in self.meta."""
        base, tool, hint, desc, expected = spec[:5]
        args, key, base = self.step_args(base, tool, hint, deps)
        step = {"id": self.new_id(base), "description": desc.format(**self.ctx)}
        if tool:
            step["tool"] = tool
        step.update(args=args, depends_on=list(deps), expected_output=expected,
                    requires_approval=tool in ("post_message", "send_email", "create_pull_request") or hint in ("tag", "rollback"))
        self.meta[step["id"]] = (tool, hint, key)
        return step

    def build_plan(self):
        rng, sc = self.rng, SCENARIOS[self.scenario]
        self.meta, steps = {}, []

        def pick(pool, lo_total):
            chosen = []
            for spec in pool:
                chosen += [spec] * rng.randint(spec[5], spec[6])
            while len(chosen) < lo_total:
                chosen.append(rng.choice(pool))
            return chosen
        roots = [self.make_step(s, []) for s in pick(sc["roots"], 2)[:6]]
        middle = []
        for s in pick(sc["middle"], 0)[:4]:
            middle.append(self.make_step(s, [r["id"] for r in rng.sample(roots, rng.randint(1, min(3, len(roots))))]))
        used = {d for m in middle for d in m["depends_on"]}
        prev = [m["id"] for m in middle] + [r["id"] for r in roots if r["id"] not in used]
        synth = []
        for s in pick(sc["synth"], 1)[:3]:
            synth.append(self.make_step(s, prev))
            prev = [synth[-1]["id"]]
        action = [self.make_step(s, prev) for s in pick(sc["action"], 0)[:2]]
        steps = roots + middle + synth + action
        return {s["id"]: s for s in steps}

    def set_plan(self, version, plan):
        self.versions[version], self.cur_v, self.plan = plan, version, plan
        self.plan_json[version] = json.dumps(list(plan.values()), separators=(",", ":"), ensure_ascii=False)

    # -- content ------------------------------------------------------------------------------
    def observe(self, step, args, key):
        """Build a successful observation (content, content_type) for one tool call of a step."""
        rng, ctx, lang = self.rng, self.ctx, self.ctx["lang"]
        tool, hint = self.meta[step["id"]][:2]
        if tool == "read_file":
            return self.world.get(key, build_file(args["path"], lang))
        if tool == "http_get":
            if hint == "docs":
                return self.world.get(key, build_docs_page(key))
            if hint == "changelog":
                return self.world.get(key, lambda r: (gen_changelog(r, size_ln(r, 3000, 0.8, 600, 90000), ctx["pkg"]), "text/markdown"))
            if hint == "registry":
                return self.world.get(key, lambda r: (gen_registry(r, ctx["pkg"]), "application/json"))
            if hint == "alerts":
                return gen_json_records(rng, size_ln(rng, 1500, 0.7, 300, 20000), alert, False), "application/json"
            return gen_ticket(rng, ctx["ticket"]), "application/json"
        if tool == "github_api":
            make = gh_commit(ctx["repo"]) if hint == "commits" else gh_issue(ctx["repo"])
            return self.world.get(key, lambda r: (gen_json_records(r, size_ln(r, 1100, 1.15, 300, 450000), make, r.random() < 0.5),
                                                  "application/json"))
        if tool == "web_search":
            return self.world.get(key, lambda r: (json.dumps({"query": args["query"], "results": [search_hit(r, i) for i in range(r.randint(4, 8))]},
                                                             ensure_ascii=False), "application/json"))
        if tool == "run_tests":
            return gen_test_log(rng, size_ln(rng, 1200, 0.9, 400, 200000), lang, True), "text/plain"
        if tool == "shell":
            if hint == "grep":
                return "".join(f"src/{ident(rng)}.py:{rng.randint(1, 900)}:    {ctx['symbol']}({rng.choice(NOUNS)}, {rng.choice(NOUNS)})\n"
                               for _ in range(rng.randint(2, 40))), "text/plain"
            if hint == "build":
                ext = LANGS[lang]["ext"]
                lines = "".join(f"[{i}/120] Compiling {rng.choice(NOUNS)}_{rng.choice(NOUNS)}.{ext}\n" for i in range(1, 121))
                return lines + "Build complete!\n", "text/plain"
            if hint == "deploys":
                return "REVISION  CHANGE-CAUSE\n" + "".join(f"{i}         deploy {hexs(rng, 7)} by ci ({iso(rng)})\n" for i in range(1, rng.randint(4, 12))), "text/plain"
            return f"{hint} ok: {args['command']}\n", "text/plain"
        if tool == "sql_query":
            return gen_sql(rng, size_ln(rng, 900, 1.2, 80, 200000), ctx["table"])
        if tool == "fetch_metrics":
            return gen_metrics(rng, size_ln(rng, 1200, 0.9, 200, 60000), ctx["service"]), "application/json"
        if tool == "query_logs":
            return gen_logs(rng, size_ln(rng, 1200, 1.15, 200, 300000), ctx["service"]), "text/plain"
        if tool == "python_exec":
            return "\n".join(f"{iso(rng)[:10]}  {rng.uniform(-30, 30):8.2f}%  z={rng.gauss(0, 1.5):6.2f}" for _ in range(rng.randint(3, 40))) + "\n", "text/plain"
        if tool == "apply_patch":
            return "".join(f"Checking patch src/{ident(rng)}.py...\nApplied patch src/{ident(rng)}.py cleanly.\n" for _ in range(rng.randint(1, 4))), "text/plain"
        if tool == "create_pull_request":
            n = rng.randint(100, 5000)
            return json.dumps({"number": n, "html_url": f"https://github.com/{ctx['repo']}/pull/{n}", "state": "open", "draft": False,
                               "head": {"ref": args["head"]}, "base": {"ref": args["base"]}, "created_at": iso(rng)}), "application/json"
        return json.dumps({"ok": True, "id": b62(rng, 12), "ts": f"{1795514400 + rng.randint(0, 99999)}.{rng.randint(0, 999999):06d}"}), "application/json"

    def artifact(self, step):
        """The executor's response for a model-only step."""
        rng, hint = self.rng, self.meta[step["id"]][1]
        if hint == "diff":
            return gen_diff(rng, self.ctx["lang"], zipf_pick(rng, self.files[3:-1], 1.6))
        if hint == "json":
            return json.dumps({"changes": [{"ref": hexs(rng, 7), "category": rng.choice(["feature", "fix", "breaking", "chore"]), "title": sentence(rng, 50)}
                                           for _ in range(rng.randint(3, 25))]}, indent=2)
        if hint == "bullets":
            return "".join(f"- {sentence(rng, 90)} [{rng.choice(list(self.plan))}]\n" for _ in range(rng.randint(3, 14)))
        if hint == "markdown":
            return gen_markdown(rng, size_ln(rng, 800, 0.7, 250, 12000), sentence(rng, 40).rstrip(".:"))
        return prose(rng, size_ln(rng, 450, 0.7, 100, 5000))

    def context_for(self, step):
        parts, budget = [], max(200, 1200 // max(1, len(step["depends_on"])))
        for d in step["depends_on"]:
            parts.append(f"### Output of {d}\n{truncate(self.outputs.get(d, ''), budget)}")
        return "\n\n".join(parts)

    # -- execution ----------------------------------------------------------------------------
    def run_step(self, step, attempt, t, cause):
        """Record the events of one attempt starting at t; returns (end, outcome, last event)."""
        rng, sid, tool = self.rng, step["id"], step.get("tool")
        args = {k: (truncate(self.outputs.get(v[8:-9], ""), 4000) if isinstance(v, str) and v.startswith("{{steps.") else v) for k, v in step["args"].items()}
        args = {k: (json.dumps(v) if not isinstance(v, (str, int, list)) else v) for k, v in args.items()}
        t_start = t
        ev = self.emit(t, "step.started", "executor", {"step_id": sid, "attempt": attempt, **({"tool": tool} if tool else {}), "inputs": args}, cause)
        t += rng.randint(200, 5000)
        fail = rng.random() < FAIL_P.get(tool, 0.08) / attempt
        task = f"Execute step `{sid}` (attempt {attempt}): {step['description']}\nExpected output: {step['expected_output']}\n\n{self.context_for(step)}"
        if not tool:
            resp = self.artifact(step)
            ev, t = self.call_model(t, "executor", sid, "execute", task, resp, ev)
            if fail:
                return self.fail(step, attempt, t, ev, "model", rng.choice(ERRORS["model"]), sid)
            self.outputs[sid] = resp
            data = {"step_id": sid, "output": truncate(resp, 1000), "summary": sentence(rng, 80)}
            if len(resp) > 1000:  # the full output lives in the blob store
                data["output_ref"] = "sha256:" + hashlib.sha256(resp.encode()).hexdigest()
            data["duration_ms"] = (t - t_start) // 1000 + 5
            done = self.emit(t + rng.randint(500, 9000), "step.completed", "executor", data, ev)
            return done[0], ("done", done), None
        family, hint = TOOL_FAMILY[tool], self.meta[sid][1]
        calls = rng.randint(2, 5) if (tool in MULTI_CALL or hint == "docs") and rng.random() < 0.5 else 1
        contents, total = [], 0
        for i in range(calls):
            cargs, key = (args, self.meta[sid][2]) if i == 0 else self.vary_args(tool, hint, args, i)
            if rng.random() < 0.04:
                resp = json.dumps({"thought": sentence(rng, 120), "tool": tool, "arguments": cargs}, ensure_ascii=False)
                ev, t = self.call_model(t, "executor", sid, "tool_args", task + "\nChoose the tool arguments.", resp, ev)
            self.ncall += 1
            call_id = f"call_{b62(rng, 10)}"
            ev = self.emit(t + rng.randint(1000, 30000), "call.tool", f"tool:{tool}", {"step_id": sid, "call_id": call_id, "tool": tool, "args": cargs}, ev)
            ok = not (fail and i == calls - 1)
            if ok:
                content, ctype = self.observe(step, cargs, key)
            else:
                err = rng.choice(ERRORS[family])
                target = next((cargs[k] for k in ("url", "path", "command", "endpoint", "channel", "repo", "database") if k in cargs), tool)
                content = gen_test_log(rng, size_ln(rng, 6000, 0.9, 1000, 250000), self.ctx["lang"], False) if tool == "run_tests" \
                    else gen_traceback(rng, err[0], err[1].format(target=target), family)
                ctype = "text/plain"
            size = len(content.encode())
            total += size
            limit = 65536 if tool in ("shell", "query_logs", "run_tests") else 524288
            dur = {"read_file": 20, "run_tests": 40000, "shell": 3000, "python_exec": 1500, "sql_query": 600}.get(tool, 500)
            dur = int(dur * math.exp(rng.gauss(0, 0.8))) + size // 5000
            t = ev[0] + dur * 1000
            matches = ok and rng.random() > 0.06 / calls
            ev = self.emit(t, "step.observed", f"tool:{tool}", {"step_id": sid, "call_id": call_id, "ok": ok, "content": truncate(content, limit),
                                                                "content_type": ctype, "bytes": size, "truncated": size > limit, "duration_ms": dur,
                                                                "matches_expected": matches}, ev)
            if not ok:
                return self.fail(step, attempt, t, ev, family, err, target)
            contents.append(content)
        out = truncate(contents[0], rng.choice([160, 300, 700])) if calls == 1 else \
            "\n".join(f"[{i + 1}/{calls}] " + truncate(c, 160) for i, c in enumerate(contents))
        if total > 1000 and rng.random() < 0.1:
            out = sentence(rng, 80) + "\n" + prose(rng, size_ln(rng, 400, 0.8, 80, 3000))
            ev, t = self.call_model(t, "executor", sid, "summarize", task + "\n\n### Observation\n" + truncate(contents[-1], 2500), out, ev)
        self.outputs[sid] = out
        done = self.emit(t + rng.randint(100, 3000), "step.completed", "executor",
                         {"step_id": sid, "output": out, "summary": f"{calls} {tool} call(s) returned {total} bytes", "duration_ms": (t - t_start) // 1000}, ev)
        return done[0], ("done" if matches else "mismatch", done), None

    def vary_args(self, tool, hint, args, i):
        """Arguments of the i-th follow-up tool call of a step (next page, another file, refined query)."""
        rng, ctx = self.rng, self.ctx
        if tool == "read_file":
            path = zipf_pick(rng, self.files[3:-1], 1.3)
            return dict(args, path=path), self.file_key(path)
        if tool == "github_api":
            ep = args["endpoint"] + f"&page={i + 1}"
            return dict(args, endpoint=ep), ep
        if tool == "http_get":
            url = self.docs_url()
            return dict(args, url=url), url
        if tool == "web_search":
            q = args["query"] + " " + zipf_pick(rng, ["2026", "github", "paper", "example", "vs", "production", "faq"])
            return dict(args, query=q), f"search@{self.epoch}:{q}"
        if tool == "sql_query":
            return dict(args, query=args["query"] + f" OFFSET {i * 500}"), None
        return dict(args, since=rng.choice(["30m", "4h", "12h", "48h"])), None

    def file_key(self, path):
        """Resource key of a repository file: about 30% of files change in each epoch."""
        churned = zlib.crc32(f"{path}@{self.epoch}".encode()) % 10 < 3
        return f"file:{self.ctx['repo']}{'@%d' % self.epoch if churned else ''}:{path}"

    def docs_url(self):
        site = self.ctx["topic"].split()[0].lower()
        section = zipf_pick(self.rng, ["guide", "reference", "faq", "tutorial", "internals", "api"])
        return f"https://docs.{site}.dev/{section}/{zipf_pick(self.rng, NOUNS, 2.5)}.html"

    def fail(self, step, attempt, t, cause, family, err, target):
        etype, msg, retryable = err
        msg = msg.format(target=target)
        ev = self.emit(t + self.rng.randint(100, 2000), "step.failed", "executor", {"step_id": step["id"], "attempt": attempt, "error": {
            "type": etype, "message": msg, "traceback": gen_traceback(self.rng, etype, msg, family)}, "retryable": retryable}, cause)
        return ev[0], ("failed", ev), retryable

    def replan(self, t, sid, mode, cause):
        """Record replan.triggered, the planner call and plan.revised; apply the new version."""
        rng, base_v, plan = self.rng, self.cur_v, self.plan
        self.replans_left -= 1
        t = max(t, self.plan_t)  # the planner revises one version at a time
        reason = f"step {sid} failed after {self.attempts[sid]} attempt(s)" if mode == "replace" else f"output of {sid} did not match the expected output"
        ev = self.emit(t + rng.randint(1000, 20000), "replan.triggered", "planner", {"reason": reason, "step_id": sid, "details": {
            "attempts": self.attempts[sid], "policy": rng.choice(["on_failure", "on_failure_or_mismatch"]), "base_version": base_v}}, cause)
        old = plan[sid]
        added = []
        if mode == "replace":
            suffix, how = rng.choice(ALT_SUFFIX)
            new = dict(old, id=self.new_id(sid + suffix), description=old["description"] + f" ({how})", depends_on=list(old["depends_on"]))
            if "timeout" in new["args"]:
                new["args"] = dict(new["args"], timeout=90)
            self.meta[new["id"]] = self.meta[sid]
            added.append(new)
        else:
            new = {"id": self.new_id("verify_" + sid), "description": f"Check and repair the output of {sid}", "args": {}, "depends_on": [sid],
                   "expected_output": old["expected_output"], "requires_approval": False}
            self.meta[new["id"]] = (None, "analysis", None)
            added.append(new)
        removed = [sid] if mode == "replace" else []
        changed = [dict(s, depends_on=[new["id"] if d == sid else d for d in s["depends_on"]]) for s in plan.values() if sid in s["depends_on"]]
        rev = {"version": base_v + 1, "base_version": base_v, "added": added, "removed": removed, "changed": changed, "reason": reason,
               "rationale": sentence(rng, 140)}
        cev, t2 = self.call_model(ev[0], "planner", None, "replan", f"Revise the plan.\n{reason}\n\n{self.context_for(old)}",
                                  json.dumps(rev, indent=2, ensure_ascii=False), ev)
        rev_ev = self.emit(t2 + rng.randint(1000, 5000), "plan.revised", "planner", rev, cev)
        self.plan_t = rev_ev[0]
        ch = {s["id"]: s for s in changed}
        newplan = {k: ch.get(k, s) for k, s in plan.items() if k not in removed}
        newplan.update((s["id"], s) for s in added)
        self.set_plan(base_v + 1, newplan)
        for s in added:
            self.status[s["id"]], self.attempts[s["id"]] = "pending", 0
        if mode == "replace":
            self.status[sid] = "replaced"
        return rev_ev, [s["id"] for s in added + changed]

    def skip_dependents(self, t, sid, reason):
        for s in self.plan.values():
            if sid in s["depends_on"] and self.status[s["id"]] in ("pending", "awaiting"):
                self.status[s["id"]] = "skipped"
                self.emit(t + 1000, "step.skipped", "policy", {"step_id": s["id"], "reason": reason})
                self.skip_dependents(t, s["id"], f"dependency {s['id']} was skipped")

    def execute(self, t, plan_ev):
        rng = self.rng
        self.status = {sid: "pending" for sid in self.plan}
        self.attempts = {sid: 0 for sid in self.plan}
        heap, running, n, cancelled = [], 0, 0, False
        ready_ev, approved = {}, set()
        while True:
            for sid, st in list(self.plan.items()):
                if cancelled or running >= self.max_par:
                    break
                if self.status[sid] != "pending" or any(self.status.get(d) != "done" for d in st["depends_on"]):
                    continue
                cause = max([self.done_ev[d] for d in st["depends_on"]] + [ready_ev.get(sid, plan_ev)], key=lambda e: (e[0], e[1]))
                if st["requires_approval"] and sid not in approved:
                    self.status[sid] = "awaiting"
                    who = rng.choice(HUMANS)
                    req = self.emit(max(t, cause[0]) + 2000, "approval.requested", "policy", {"step_id": sid, "reason": f"{st.get('tool')} is visible outside the agent",
                                                                               "approvers": sorted({who, rng.choice(HUMANS)})}, cause)
                    granted = rng.random() < 0.9
                    res = self.emit(req[0] + int(rng.lognormvariate(18.0, 1.2)), "approval.resolved", f"human:{who}", {
                        "step_id": sid, "decision": "granted" if granted else "denied",
                        "comment": rng.choice(["ok", "lgtm", "go ahead", "approved", "ship it"]) if granted else sentence(rng, 60)}, req)
                    heapq.heappush(heap, (res[0], n, "approval", sid, granted, res))
                    n += 1
                    continue
                self.attempts[sid] += 1
                self.status[sid], running = "running", running + 1
                start = max(t, cause[0]) + rng.randint(1000, 80000)
                end, outcome, retry = self.run_step(st, self.attempts[sid], start, cause)
                heapq.heappush(heap, (end, n, "step", sid, outcome, retry))
                n += 1
            if not heap:
                break
            t, _, kind, sid, a, b = heapq.heappop(heap)
            if kind == "approval":
                if self.status[sid] != "awaiting":
                    continue
                if a:
                    self.status[sid], ready_ev[sid] = "pending", b
                    approved.add(sid)
                else:
                    self.status[sid] = "skipped"
                    self.emit(t + 500, "step.skipped", "policy", {"step_id": sid, "reason": f"approval denied by {b[3]}"}, b)
                    self.skip_dependents(t, sid, f"dependency {sid} was not approved")
                continue
            running -= 1
            state, ev = a
            if state in ("done", "mismatch"):
                self.status[sid], self.done_ev[sid] = "done", ev
                if state == "mismatch" and self.replans_left > 0 and not cancelled:
                    rev_ev, ids = self.replan(ev[0], sid, "verify", ev)
                    ready_ev.update((i, rev_ev) for i in ids)
            elif b and self.attempts[sid] < self.max_attempts and not cancelled:
                self.attempts[sid] += 1
                running += 1
                end, outcome, retry = self.run_step(self.plan[sid], self.attempts[sid], t + rng.randint(1, 8) * 1_000_000, ev)
                heapq.heappush(heap, (end, n, "step", sid, outcome, retry))
                n += 1
            elif self.replans_left > 0 and not cancelled and rng.random() < 0.7:
                rev_ev, ids = self.replan(t, sid, "replace", ev)
                ready_ev.update((i, rev_ev) for i in ids)
            else:
                self.status[sid] = "failed"
                if not cancelled and rng.random() < 0.15:
                    cancelled = True
                    who = rng.choice(HUMANS)
                    self.emit(t + 30_000_000, "note", f"human:{who}", {"text": f"Cancelling: {sid} keeps failing. " + sentence(rng, 60)}, ev)
                    for s in self.plan.values():
                        if self.status[s["id"]] in ("pending", "awaiting"):
                            self.status[s["id"]] = "skipped"
                            self.emit(t + 31_000_000, "step.skipped", "policy", {"step_id": s["id"], "reason": f"run cancelled by human:{who}"})
                else:
                    self.skip_dependents(t, sid, f"dependency {sid} failed")
        return cancelled

    def simulate(self):
        rng, ctx = self.rng, self.ctx
        sc = SCENARIOS[self.scenario]
        self.goal = rng.choice(sc["goals"]).format(**ctx)
        plan = self.build_plan()
        tools = sorted({s["tool"] for s in plan.values() if "tool" in s} | set(rng.sample(sorted(TOOL_DOCS), 3)))
        agent_tools = sorted({sp[1] for name in AGENTS[self.agent][1] for part in ("roots", "middle", "synth", "action")
                              for sp in SCENARIOS[name][part] if sp[1]})
        self.sys_prompts = {r: system_prompt(self.agent, r, agent_tools) for r in ("planner", "executor", "reviewer")}
        human = rng.choice(HUMANS)
        t = self.t0
        ev = self.emit(t, "run.started", rng.choice([f"human:{human}", "system"]), {
            "goal": self.goal, "agent": {"name": self.agent, "version": self.version},
            "planner": {"model": self.models["planner"], "params": {"temperature": rng.choice([0, 0.2]), "max_tokens": 4096}},
            "executor": {"model": self.models["executor"], "params": {"temperature": rng.choice([0, 0.1, 0.7]), "max_tokens": 2048}},
            "tools": tools, "config": {"max_parallel": self.max_par, "max_attempts": self.max_attempts, "max_replans": self.replans_left,
                                       "budget_usd": rng.choice([0.5, 1.0, 2.0, 5.0]), "step_timeout_s": 900},
            "tags": [self.scenario, rng.choice(["prod", "staging", "eval"]), ctx["repo"].split("/")[0]]}, None)
        analysis = {"summary": sentence(rng, 120), "constraints": [sentence(rng, 60) for _ in range(rng.randint(1, 4))],
                    "success_criteria": [sentence(rng, 60) for _ in range(rng.randint(1, 3))]}
        if rng.random() < 0.2:
            ev, t = self.call_model(t + 20_000, "planner", None, "analyze_goal", "Analyze the goal: constraints and success criteria.",
                                    json.dumps(analysis, ensure_ascii=False), ev)
        ev = self.emit(t + 2000, "goal.analyzed", "planner", analysis, ev)
        rationale = prose(rng, rng.randint(150, 700))
        cev, t = self.call_model(ev[0], "planner", None, "plan", "Propose the plan as JSON {rationale, steps}.",
                                 json.dumps({"rationale": rationale, "steps": list(plan.values())}, indent=2, ensure_ascii=False), ev)
        self.set_plan(1, plan)
        plan_ev = self.emit(t + 3000, "plan.proposed", "planner", {"version": 1, "steps": list(plan.values()), "rationale": rationale}, cev)
        t = plan_ev[0]
        if rng.random() < 0.3:
            verdict = rng.choices(["approved", "changes_requested", "amended"], [6, 2, 1])[0]
            comments = [sentence(rng, 90) for _ in range(rng.randint(0 if verdict == "approved" else 1, 4))]
            review = {"version": 1, "verdict": verdict, "reviewer": f"model:{self.models['reviewer']}", "score": round(rng.uniform(0.55, 0.98), 2), "comments": comments}
            cev, t = self.call_model(t, "reviewer", None, "review", "Review the plan.", json.dumps(review, ensure_ascii=False), plan_ev)
            plan_ev = self.emit(t + 1000, "plan.reviewed", "reviewer", review, cev)
            if verdict != "approved":
                sid = rng.choice(list(plan))
                changed = [dict(plan[sid], expected_output=plan[sid]["expected_output"] + "; " + sentence(rng, 50).lower())]
                rev = {"version": 2, "base_version": 1, "added": [], "removed": [], "changed": changed, "reason": "review: " + verdict,
                       "rationale": comments[0]}
                actor = "reviewer" if verdict == "amended" else "planner"
                if actor == "planner":
                    plan_ev, t = self.call_model(plan_ev[0], "planner", None, "revise", "Address the review comments:\n" + "\n".join(comments),
                                                 json.dumps(rev, indent=2), plan_ev)
                plan_ev = self.emit(t + 2000, "plan.revised", actor, rev, plan_ev)
                self.set_plan(2, dict(plan, **{sid: changed[0]}))
                t = plan_ev[0]
        if rng.random() < 0.08:
            who = rng.choice(HUMANS)
            req = self.emit(t + 1000, "approval.requested", "policy", {"version": self.cur_v, "reason": "plan touches production", "approvers": [who]}, plan_ev)
            granted = rng.random() < 0.85
            plan_ev = self.emit(req[0] + int(rng.lognormvariate(17.5, 1.0)), "approval.resolved", f"human:{who}",
                                {"version": self.cur_v, "decision": "granted" if granted else "denied", "comment": "approved" if granted else sentence(rng, 60)}, req)
            t = plan_ev[0]
            if not granted:
                return self.complete(t, "cancelled", "The plan was not approved; nothing was executed.", plan_ev)
        self.plan_t = t
        cancelled = self.execute(t, plan_ev)
        last = max(self.events, key=lambda e: (e[0], e[1]))
        cur = list(self.plan)
        done = sum(self.status.get(s) == "done" for s in cur)
        status = "cancelled" if cancelled else "succeeded" if done == len(cur) else "failed" if done < len(cur) / 2 else "partially_succeeded"
        answer = prose(rng, rng.randint(200, 1500))
        if status != "cancelled" and rng.random() < 0.3:
            cev, t2 = self.call_model(last[0] + 1000, "planner", None, "final_answer", "Write the final answer for the user.", answer, last)
            last = cev
        return self.complete(last[0], status, answer, last)

    def complete(self, t, status, answer, cause):
        self.emit(t + self.rng.randint(1000, 50000), "run.completed", "system", {"status": status, "final_answer": answer, "totals": {
            "input_tokens": self.tot_in, "output_tokens": self.tot_out, "cost_usd": round(self.tot_cost, 6),
            "model_calls": sum(e[2] == "call.model" for e in self.events), "tool_calls": self.ncall, "duration_ms": (t - self.t0) // 1000}}, cause)
        return self.lines()


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

def generate(seed, runs, events, interleave, out):
    """Write runs to the binary stream `out`; returns (runs, events, bytes)."""
    world, mix = World(seed), random.Random(f"mix:{seed}")
    active, started, produced, written, nbytes, buf = [], 0, 0, 0, 0, []
    buffered = 0
    while True:
        while len(active) < interleave and (started < runs if events is None else produced < events):
            lines = RunSim(seed, started, world).simulate()
            started, produced = started + 1, produced + len(lines)
            active.append([lines, 0])
        if not active:
            break
        j = mix.randrange(len(active))
        lines, pos = active[j]
        take = 1 if interleave > 1 else len(lines)
        if interleave > 1:
            take = min(len(lines) - pos, mix.randint(1, 4))
        chunk = ("\n".join(lines[pos:pos + take]) + "\n").encode("utf-8")
        buf.append(chunk)
        buffered += len(chunk)
        nbytes, written = nbytes + len(chunk), written + take
        active[j][1] = pos + take
        if active[j][1] >= len(lines):
            active.pop(j)
        if buffered > 1 << 20:
            out.write(b"".join(buf))
            buf, buffered = [], 0
    out.write(b"".join(buf))
    out.flush()
    return started, written, nbytes


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate PlanJournal agent runs (JSON Lines).")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--runs", type=int, help="number of runs (default 100)")
    g.add_argument("--events", type=int, help="generate runs until at least this many events")
    ap.add_argument("--interleave", type=int, default=1, help="interleave the events of K runs at a time (default 1)")
    ap.add_argument("--out", help="output file (default stdout)")
    a = ap.parse_args(argv)
    if a.interleave < 1:
        ap.error("--interleave must be at least 1")
    runs = a.runs if a.runs is not None else (100 if a.events is None else None)
    t0 = time.time()
    if a.out:
        with open(a.out, "wb") as fh:
            r, e, b = generate(a.seed, runs, a.events, a.interleave, fh)
    else:
        try:
            r, e, b = generate(a.seed, runs, a.events, a.interleave, sys.stdout.buffer)
        except BrokenPipeError:  # e.g. piped into `head`: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
    print(f"gen_corpus: {r} runs, {e} events, {b} bytes in {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
