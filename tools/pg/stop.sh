#!/usr/bin/env bash
# Stops the server tools/pg/start.sh started in DIR and removes DIR.
# Usage: bash tools/pg/stop.sh DIR      Exits 0 when it is stopped (or was not running).
set -uo pipefail
dir="${1:?usage: bash tools/pg/stop.sh DIR}"
bin=""
for v in 17 16 15 14 13; do
    if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then bin="/usr/lib/postgresql/$v/bin"; break; fi
done
[ -n "$bin" ] || bin="$(dirname "$(command -v pg_ctl)")"
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
if [ -f "$dir/data/postmaster.pid" ]; then
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
fi
rm -rf "$dir"
