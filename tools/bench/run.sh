#!/usr/bin/env bash
# Builds the release binaries (the product and the benchmark package) and runs every benchmark,
# printing the figures (medians; each repetition is printed as it ends). The concurrent-writers
# benchmark (writers_bench.py) starts its own PostgreSQL with tools/pg/start.sh and needs psql. Run from anywhere; extra arguments go to ingest_bench.py
# (e.g. --large, --reps 5).
#
#   tools/bench/run.sh                 # everything, default sizes
#   QUICK=1 tools/bench/run.sh         # fewer events and repetitions (a smoke test)
#   JSON=1 tools/bench/run.sh          # JSON instead of tables
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

echo "== build (release): product" >&2
swift build -c release --product planj >&2
echo "== build (release): tools/bench" >&2
swift build -c release --package-path tools/bench >&2

BENCH="tools/bench/.build/release/planj-bench"
JSONFLAG=()
[[ "${JSON:-}" == 1 ]] && JSONFLAG=(--json)

if [[ "${QUICK:-}" == 1 ]]; then
  REPS=1; SINGLE=5000; CONC=20000; LARGE=20000; QUERIES=200; PYREPS=(--reps 1)
  WREPS=1; WINGEST=1000; WAPPEND=200
else
  REPS=5; SINGLE=50000; CONC=200000; LARGE=100000; QUERIES=2000; PYREPS=()
  WREPS=3; WINGEST=20000; WAPPEND=2000
fi

run() {
  echo >&2
  echo "\$ $*" >&2
  "$@"
}

echo "== 1, 2, 5: ingest vs Python sqlite3, size vs lz4 -9, peak RSS 1x/10x" >&2
run python3 tools/bench/ingest_bench.py "${PYREPS[@]}" "${JSONFLAG[@]}" "$@"

echo "== 3: appends" >&2
run "$BENCH" append-single --events "$SINGLE" --reps "$REPS" "${JSONFLAG[@]}"
run "$BENCH" append-concurrent --writers 8 --durability normal --events "$CONC" --reps "$REPS" "${JSONFLAG[@]}"
run "$BENCH" append-concurrent --writers 8 --durability full --events "$CONC" --reps "$REPS" "${JSONFLAG[@]}"

echo "== 4: rebuild and time travel" >&2
run "$BENCH" rebuild --events "$LARGE" --reps "$REPS" "${JSONFLAG[@]}"
run "$BENCH" state-at --events "$LARGE" --queries "$QUERIES" --reps "$REPS" "${JSONFLAG[@]}"

echo "== 7: concurrent writers, SQLite and PostgreSQL (1, 4, 8 processes)" >&2
run python3 tools/bench/writers_bench.py --writers 1,4,8 --events-per-writer "$WINGEST" --reps "$WREPS" "${JSONFLAG[@]}"
run python3 tools/bench/writers_bench.py --mode append --writers 1,4,8 --events-per-writer "$WAPPEND" --reps "$WREPS" "${JSONFLAG[@]}"
