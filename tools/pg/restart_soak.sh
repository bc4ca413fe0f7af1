#!/usr/bin/env bash
# Runs `planj demo` in a loop in WORKERS processes against a PostgreSQL server of its own while
# restarting that server RESTARTS times (a fast shutdown every 2-5 s), then checks that no run
# failed once started (a failure naming its run), none hung (each has 120 s), and the journal
# verifies. A demo whose first connection meets the restart fails at once, as libpq's would:
# those are counted, not failures of the soak.
# Usage: bash tools/pg/restart_soak.sh [PLANJ] [RESTARTS] [WORKERS]
#        (defaults: .build/release/planj, 25, 3). Exits non-zero on a failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
planj="$(realpath "${1:-.build/release/planj}")"
restarts="${2:-25}"
workers="${3:-3}"
dir="$(mktemp -d /tmp/planj-restart-soak.XXXXXX)"
chmod 755 "$dir"  # the server may run as another user (postgres, under root)
bash "$here/start.sh" "$dir/server" > "$dir/start.out"
trap 'bash "$here/stop.sh" "$dir/server" > /dev/null 2>&1 || true' EXIT
url="$(grep '^postgres://' "$dir/start.out" | head -1)?sslmode=disable"

worker() {
    local n=0
    while [ ! -e "$dir/stop" ]; do
        n=$((n + 1))
        if ! timeout 120 "$planj" --journal "$url" demo --pace 0.3 --quiet --json > "$dir/w$1-$n.out" 2> "$dir/w$1-$n.err"; then
            echo "$1 $n $?" >> "$dir/failed"
        fi
    done
    echo "$n" >> "$dir/runs"
}
for w in $(seq 1 "$workers"); do worker "$w" & done
sleep 3
for i in $(seq 1 "$restarts"); do
    bash "$here/restart.sh" "$dir/server" > /dev/null
    echo "restart-soak: restart $i of $restarts" >&2
    sleep $((2 + RANDOM % 4))
done
touch "$dir/stop"
wait
runs=$(paste -sd+ "$dir/runs" | bc)
refused=0; midrun=0; hung=0
while read -r w n status; do
    if [ "$status" = 124 ]; then
        hung=$((hung + 1)); echo "restart-soak: run $n of worker $w hung" >&2
    elif grep -q '"run":' "$dir/w$w-$n.err"; then
        midrun=$((midrun + 1)); echo "restart-soak: a started run failed: $(tail -c 400 "$dir/w$w-$n.err")" >&2
    else
        refused=$((refused + 1))
    fi
done < <(cat "$dir/failed" 2>/dev/null || true)
"$planj" --journal "$url" verify > "$dir/verify.out" || { cat "$dir/verify.out" >&2; midrun=$((midrun + 1)); }
echo "restart-soak: $runs runs, $restarts restarts: $midrun failed once started, $hung hung, $refused refused at their first connection; $(tail -1 "$dir/verify.out")"
[ "$midrun" = 0 ] && [ "$hung" = 0 ] && rm -rf "$dir"
[ "$midrun" = 0 ] && [ "$hung" = 0 ]
