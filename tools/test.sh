#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs dependencies, builds, runs the Swift tests
# (real SQLite files, a real PostgreSQL server, real liblz4, the real planj binary), runs every README command, and kills
# writer processes in the crash harness and `planj run` processes in the runner crash test, fuzzes
# `planj ingest` with damaged input, and takes a screenshot of the demo run's HTML report in headless Chromium ($ARTIFACTS).
# Usage: bash tools/test.sh [--quick]   (--quick skips the README check, the crash harnesses and the fuzzer)
# Prints each stage's output; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
swift build
# A throwaway PostgreSQL server for the PostgreSQL backend's tests (stopped on exit). Its tests
# must run, not skip: PLANJ_REQUIRE_POSTGRES=1 turns a missing server into a failure.
pg_dir="$(mktemp -d /tmp/planj-pg.XXXXXX)"
trap 'bash tools/pg/stop.sh "$pg_dir"' EXIT
PLANJ_TEST_POSTGRES_URL="$(bash tools/pg/start.sh "$pg_dir")"
# The server has TLS on, with a certificate signed by this throwaway CA (for the TLS tests).
PLANJ_TEST_POSTGRES_CA="$pg_dir/ca.crt"
export PLANJ_TEST_POSTGRES_URL PLANJ_TEST_POSTGRES_CA PLANJ_REQUIRE_POSTGRES=1
# The HTML export tests must run in headless Chromium (tools/setup.sh installs it), not skip.
PLANJ_REQUIRE_CHROMIUM=1 swift test
if [ "${1:-}" != "--quick" ]; then
    bash tools/check-readme.sh
    bash tools/report-screenshot.sh "${ARTIFACTS:-/tmp/planj-artifacts}"
    python3 tools/crash/crash_test.py --iterations "${CRASH_ITERATIONS:-30}"
    python3 tools/crash/runner_crash_test.py --iterations "${RUNNER_CRASH_ITERATIONS:-20}"
    python3 tools/fuzz/ingest_fuzz.py --iterations "${FUZZ_ITERATIONS:-60}"
fi
