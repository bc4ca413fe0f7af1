#!/usr/bin/env bash
# Restarts the server tools/pg/start.sh started in DIR (a fast shutdown: sessions are ended, as
# in a failover or an administrator's restart), on the same port with the same settings.
# Usage: bash tools/pg/restart.sh DIR      Exits non-zero if it does not come back.
set -euo pipefail
dir="${1:?usage: bash tools/pg/restart.sh DIR}"
source "$(dirname "$0")/server_bin.sh"
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
