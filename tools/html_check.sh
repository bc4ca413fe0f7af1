#!/usr/bin/env bash
# Checks an HTML report of `planj export --format html` in headless Chromium (Debian's `chromium`).
#
# Usage: tools/html_check.sh FILE.html [SCREENSHOT.png]
#        tools/html_check.sh --self-test
#
# Fails (exit 1) when the file names an external resource (an http(s) or protocol-relative URL in
# src/href/url(), or @import), when the page logs anything to the console or throws (any console
# message fails: Chromium's log does not tell levels apart, and the report logs nothing), or when
# the rendered DOM lacks the plan DAG and timeline SVGs, or (when the page has steps) opening it at
# #step-1 does not open that step's details (the page's script did not run). With SCREENSHOT.png it also takes a
# 1400x2000 screenshot. The network is off for the page (every host resolves to nothing), so a
# resource the page tries to load shows up as a console error too.
# Exit 2: usage; 3: no Chromium ($CHROMIUM when set, else chromium, chromium-browser or google-chrome).
# --self-test checks that the checker reports a page that throws, and exits 0 when it does.
set -uo pipefail

find_chromium() {
    if [ -n "${CHROMIUM:-}" ]; then command -v "$CHROMIUM"; return; fi
    for c in chromium chromium-browser google-chrome; do
        [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return 0; }
    done
    return 1
}

if [ "${1:-}" = "--self-test" ]; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body><svg class="dag"></svg><svg class="timeline"></svg><script>throw new Error("html_check self-test")</script></body></html>\n' >"$dir/bad.html"
    out=$("$0" "$dir/bad.html" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && grep -q "Uncaught Error: html_check self-test" <<<"$out"; then
        echo "html_check self-test: ok (a page that throws is reported)"
        exit 0
    fi
    echo "html_check self-test: FAILED (exit $rc, expected 1 naming the error); output:" >&2
    echo "$out" >&2
    exit 1
fi

file=${1:-}
shot=${2:-}
if [ -z "$file" ] || [ ! -f "$file" ]; then
    echo "usage: $0 FILE.html [SCREENSHOT.png] | --self-test" >&2
    exit 2
fi
chromium=$(find_chromium) || { echo "html_check: no Chromium found (apt-get install chromium)" >&2; exit 3; }

failed=0
fail() { echo "html_check: FAIL: $*" >&2; failed=1; }

# 1. Nothing external.
external=$(grep -Eion "(src|href|action|poster|data)[[:space:]]*=[[:space:]]*[\"']?[[:space:]]*(https?:)?//[^\"' >]*|url\([[:space:]]*[\"']?[[:space:]]*(https?:)?//[^)]*|@import" "$file" | head -5)
[ -z "$external" ] || fail "external resources: $external"

abs=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs Chromium on the page with $@ added; its log goes to $work/log, standard output to $work/out.
run_chromium() {
    rm -rf "$work/profile"
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
        --user-data-dir="$work/profile" --host-resolver-rules="MAP * ~NOTFOUND" \
        --enable-logging=stderr --v=0 --virtual-time-budget=3000 "$@" "file://$abs${fragment:-}" >"$work/out" 2>"$work/log"
}

# Console messages and exceptions of the page, from Chromium's log.
console_of() {
    grep -E ':CONSOLE[:(]' "$work/log"
}

# 2. Renders with no console output; the DOM has the DAG and the timeline.
run_chromium --dump-dom
rc=$?
[ $rc -eq 0 ] || fail "chromium exited $rc (dump-dom); log tail: $(tail -5 "$work/log")"
if console_of >"$work/console"; then fail "console output or exceptions:"; cat "$work/console" >&2; fi
grep -q '<svg class="dag"' "$work/out" || fail "the rendered DOM has no plan DAG (<svg class=\"dag\">)"
grep -q '<svg class="timeline"' "$work/out" || fail "the rendered DOM has no timeline (<svg class=\"timeline\">)"

# 2b. The page's script runs: opened at a step's anchor, it opens that step's details.
if grep -q '<details class="step[^"]*" id="step-1"' "$file"; then
    fragment="#step-1" run_chromium --dump-dom
    if console_of >"$work/console"; then fail "console output or exceptions (at #step-1):"; cat "$work/console" >&2; fi
    grep -q '<details class="step[^"]*" id="step-1" open' "$work/out" || fail "opened at #step-1, the page did not open step-1's details (its script did not run)"
fi

# 3. Screenshot.
if [ -n "$shot" ]; then
    mkdir -p "$(dirname "$shot")"
    shot_abs=$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")
    rm -f "$shot_abs"
    run_chromium --screenshot="$shot_abs" --window-size=1400,2000 --hide-scrollbars
    rc=$?
    [ $rc -eq 0 ] || fail "chromium exited $rc (screenshot)"
    if console_of >"$work/console"; then fail "console output or exceptions (screenshot run):"; cat "$work/console" >&2; fi
    [ -s "$shot_abs" ] || fail "no screenshot written to $shot_abs"
    [ $failed -eq 0 ] && echo "html_check: screenshot $shot_abs"
fi

if [ $failed -eq 0 ]; then echo "html_check: ok $file"; fi
exit $failed
