#!/usr/bin/env bash
# Runs every command of README.md's ```sh blocks, in order, in one shell at the repository root,
# against the default journal (journals/planjournal.sqlite, moved aside and restored), and fails
# on the first command that fails. ```bash blocks (the set-up commands) are not run: CI runs them.
# A command fails when the last command of its pipeline fails, or an earlier one fails other than by
# SIGPIPE (exit 141): `planj events RUN | head -5` is fine when head stops reading early, as in a
# user's shell, and nothing depends on how the kernel splits a pipe's writes.
# Usage: bash tools/check-readme.sh    Prints each command and its output.
set -euo pipefail
cd "$(dirname "$0")/.."
# The newest build of planj (debug or release).
newest=$(ls -t .build/release/planj .build/debug/planj 2>/dev/null | head -1 || true)
bin=${newest:+$PWD/$(dirname "$newest")}
[ -n "$bin" ] || { echo "check-readme: build planj first (swift build)" >&2; exit 1; }
script=$(mktemp)
saved=$(mktemp -d)
restore() {
    rm -f journals/planjournal.sqlite journals/planjournal.sqlite-wal journals/planjournal.sqlite-shm journals/planjournal.sqlite-pjlog
    cp -a "$saved"/. journals/ 2>/dev/null || true
    rm -rf "$saved" "$script"
}
trap restore EXIT
for f in journals/planjournal.sqlite journals/planjournal.sqlite-wal journals/planjournal.sqlite-shm journals/planjournal.sqlite-pjlog; do
    [ -e "$f" ] && mv "$f" "$saved/"
done
{
    echo 'set -euo pipefail'
    echo "export PATH=\"$bin:\$PATH\""
    echo 'unset PLANJOURNAL_PATH'
    cat <<'CHECK'
pipeline_ok() {
    local line=$1; shift
    local statuses=("$@") last=$(( $# - 1 )) i
    for i in "${!statuses[@]}"; do
        local st=${statuses[$i]}
        if [ "$st" != 0 ] && { [ "$i" = "$last" ] || [ "$st" != 141 ]; }; then
            echo "check-readme: failed (exit status $st in part $((i + 1)) of its pipeline): $line" >&2
            exit 1
        fi
    done
}
CHECK
    on=0
    while IFS= read -r line; do
        case "$line" in
            '```sh') on=1; continue ;;
            '```'*) on=0; continue ;;
        esac
        [ "$on" = 1 ] || continue
        [ -z "${line// /}" ] && continue
        case "$line" in '#'*) continue ;; esac
        printf 'echo %q\nset +e\n%s\nstatuses=("${PIPESTATUS[@]}")\nset -e\npipeline_ok %q "${statuses[@]}"\n' \
            "+ $line" "$line" "$line"
    done < README.md
} > "$script"
count=$(grep -c '^echo ' "$script" || true)
bash "$script"
echo "check-readme: $count README commands passed"
