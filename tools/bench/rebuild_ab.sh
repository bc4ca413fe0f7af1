#!/usr/bin/env bash
# Alternating A/B runs of `planj-bench rebuild` on journals built once and reused, for machines
# whose load moves between runs: each pair runs A then B back to back, and the medians and the
# pairs B wins are printed at the end.
#
# Usage: bash tools/bench/rebuild_ab.sh PAIRS BENCH_A DIR_A BENCH_B DIR_B
#   BENCH_*: planj-bench binaries (copies of tools/bench/.build/release/planj-bench of two builds)
#   DIR_*:   where each keeps its journal (built on first use: 100,000 events, --build bulk); one
#            directory per journal format
set -euo pipefail
if [ $# -ne 5 ]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
pairs=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq 1 "$pairs"); do
    for side in A B; do
        if [ $side = A ]; then bench=$2 dir=$3; else bench=$4 dir=$5; fi
        [ -e "$dir/journal.sqlite" ] || "$bench" rebuild --events 100000 --reps 1 --build bulk --reuse "$dir" >/dev/null 2>&1
        report=$("$bench" rebuild --reps 5 --reuse "$dir" 2>&1)
        fold=$(echo "$report" | awk '/^fold from/ {print $6}')
        fold_cpu=$(echo "$report" | awk '/^fold CPU/ {print $6}')
        decode_cpu=$(echo "$report" | awk '/^decode CPU/ {print $6}')
        echo "$side $fold $fold_cpu $decode_cpu" | tee -a "$out"
    done
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
side = {s: [list(map(float, r[1:])) for r in rows if r[0] == s] for s in "AB"}
for k, (name, higher_is_better) in enumerate([("fold events/s", True), ("fold CPU us/event", False), ("decode CPU us/event", False)]):
    a = [r[k] for r in side["A"]]
    b = [r[k] for r in side["B"]]
    wins = sum(1 for x, y in zip(a, b) if (y > x) == higher_is_better)
    print(f"{name:22} A median {statistics.median(a):>10.3f}  B median {statistics.median(b):>10.3f}  B better in {wins} of {len(a)}")
PY
