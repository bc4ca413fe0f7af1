#!/usr/bin/env bash
# Stops the server tools/pg/start.sh started in DIR and removes DIR.
# Usage: bash tools/pg/stop.sh DIR      Exits 0 when it is stopped (or was not running).
set -uo pipefail
dir="${1:?usage: bash tools/pg/stop.sh DIR}"
source "$(dirname "$0")/server_bin.sh"
if [ -f "$dir/data/postmaster.pid" ]; then
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
fi
rm -rf "$dir"
