#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for tests and benchmarks: initdb a cluster in DIR (a new
# temporary folder when none is given), trust authentication, listening on 127.0.0.1 only, on a
# free port. As root, the cluster belongs to the `postgres` user (created if missing), since the
# server refuses to run as root.
# Usage: bash tools/pg/start.sh [--durable] [DIR]
#   --durable  keep fsync on (benchmarks); by default fsync is off, as the data is thrown away.
# Prints the server's URL, postgres://postgres@127.0.0.1:PORT/postgres, on standard output (and
# DIR on standard error); stop it with `bash tools/pg/stop.sh DIR`. Exits non-zero if it cannot start.
set -euo pipefail
durable=0
if [ "${1:-}" = "--durable" ]; then durable=1; shift; fi
dir="${1:-$(mktemp -d /tmp/planj-pg.XXXXXX)}"
mkdir -p "$dir"
bin=""
for v in 17 16 15 14 13; do
    if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then bin="/usr/lib/postgresql/$v/bin"; break; fi
done
if [ -z "$bin" ]; then
    command -v initdb >/dev/null || { echo "pg/start: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }
    bin="$(dirname "$(command -v initdb)")"
fi
as=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres "$dir"
    chmod 755 "$dir"
    as=(runuser -u postgres --)
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale -N >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400"
if [ "$durable" = 0 ]; then opts="$opts -c fsync=off -c full_page_writes=off"; fi
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
echo "$port" >"$dir/port"
echo "pg/start: PostgreSQL on 127.0.0.1:$port, cluster in $dir" >&2
echo "postgres://postgres@127.0.0.1:$port/postgres"
