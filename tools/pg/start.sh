#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for tests and benchmarks: initdb a cluster in DIR (a new
# temporary folder when none is given), trust authentication, listening on 127.0.0.1 only, on a
# free port, with TLS on (ssl=on; clients may still connect without it). The TLS certificates are
# made by openssl at each start and thrown away with DIR: a CA (DIR/ca.crt, for sslrootcert=) and
# a server certificate it signs for localhost and 127.0.0.1. As root, the cluster belongs to the
# `postgres` user (created if missing), since the server refuses to run as root.
# Usage: bash tools/pg/start.sh [--durable] [DIR]
#   --durable  keep fsync on (benchmarks); by default fsync is off, as the data is thrown away.
# Prints the server's URL, postgres://postgres@127.0.0.1:PORT/postgres, on standard output (and
# DIR on standard error); stop it with `bash tools/pg/stop.sh DIR`. Exits non-zero if it cannot start.
set -euo pipefail
durable=0
if [ "${1:-}" = "--durable" ]; then durable=1; shift; fi
dir="${1:-$(mktemp -d /tmp/planj-pg.XXXXXX)}"
mkdir -p "$dir"
source "$(dirname "$0")/server_bin.sh"
[ -n "$bin" ] || { echo "pg/start: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres "$dir"
    chmod 755 "$dir"
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale -N >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
# A throwaway CA and a server certificate it signs (EC P-256: fast to make); no key outlives DIR.
tls="$dir/tls"
mkdir -p "$tls"
{
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
        -subj "/CN=planj throwaway test CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$tls/ca.key" -out "$dir/ca.crt" &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
        >"$tls/server.ext" &&
    openssl x509 -req -in "$tls/server.csr" -CA "$dir/ca.crt" -CAkey "$tls/ca.key" -CAserial "$tls/ca.srl" -CAcreateserial -days 7 \
        -extfile "$tls/server.ext" -out "$tls/server.crt"
} >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
rm -f "$tls/ca.key"
chmod 600 "$tls/server.key"
chmod 644 "$dir/ca.crt"
if [ "$(id -u)" = 0 ]; then chown -R postgres "$tls"; fi
opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400"
opts="$opts -c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key"
if [ "$durable" = 0 ]; then opts="$opts -c fsync=off -c full_page_writes=off"; fi
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
echo "$port" >"$dir/port"
echo "pg/start: PostgreSQL on 127.0.0.1:$port (TLS CA: $dir/ca.crt), cluster in $dir" >&2
echo "postgres://postgres@127.0.0.1:$port/postgres"
