# Sourced by the tools/pg scripts: sets `bin`, the folder of PostgreSQL's server programs
# (initdb, pg_ctl; the newest installed), empty when there is none, and `as`, the command prefix
# that runs them as the `postgres` user when we are root (the server refuses to run as root).
bin=""
for v in 17 16 15 14 13; do
    if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then bin="/usr/lib/postgresql/$v/bin"; break; fi
done
if [ -z "$bin" ] && command -v pg_ctl >/dev/null; then bin="$(dirname "$(command -v pg_ctl)")"; fi
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
