#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test PlanJournal: liblz4 (headers and
# the lz4 command), SQLite's headers, Python 3, PostgreSQL (server and psql, for the PostgreSQL
# backend's tests and tools/pg/start.sh), openssl (its throwaway TLS certificates). Swift 6.2+
# must already be on PATH.
# Usage: bash tools/setup.sh        Prints apt's progress; exits non-zero if an install fails.
set -euo pipefail
packages=(liblz4-dev libsqlite3-dev lz4 python3 pkg-config jq chromium postgresql openssl)
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
else
    echo "setup: ${packages[*]} already installed"
fi
# The official OpenTelemetry protobuf definitions, for tools/otlp_check.py (the OTLP export tests).
if ! python3 -c 'import opentelemetry.proto' 2>/dev/null; then
    echo "setup: installing opentelemetry-proto (PyPI)"
    python3 -m pip --version >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q python3-pip
    python3 -m pip install --quiet opentelemetry-proto 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages opentelemetry-proto
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.2 or newer is needed)" >&2; exit 1; }
