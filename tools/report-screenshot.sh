#!/usr/bin/env bash
# Records a demo run, exports its HTML report, checks it in headless Chromium (renders, no console
# errors, no network) and takes a screenshot: what CI keeps to show the report as users see it.
# Usage: bash tools/report-screenshot.sh [DIR]   (default /tmp/planj-artifacts)
# Writes DIR/demo-report.html and DIR/demo-report.png; exits non-zero when the check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/planj-artifacts}
mkdir -p "$out"
planj=$(ls -t .build/release/planj .build/debug/planj 2>/dev/null | head -1 || true)
[ -n "$planj" ] || { echo "report-screenshot: build planj first (swift build)" >&2; exit 1; }
journal=$(mktemp -d)/j.sqlite
run=$("$planj" --journal "$journal" demo --json --pace 0.2 --quiet | jq -r .run)
"$planj" --journal "$journal" export "$run" --format html -o "$out/demo-report.html"
bash tools/html_check.sh "$out/demo-report.html" "$out/demo-report.png"
echo "report-screenshot: $out/demo-report.png ($(wc -c < "$out/demo-report.png") bytes)"
