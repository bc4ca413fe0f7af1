#!/usr/bin/env bash
# Regenerates the sample journals in journals/ (see journals/README.md).
# Usage: bash tools/gen-journals.sh     Writes journals/*.pjl; prints the generator's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tools/gen_corpus.py --seed 7 --runs 10 --interleave 3 --out "$tmp/agent-runs.jsonl"
lz4 -9 -f -q "$tmp/agent-runs.jsonl" journals/agent-runs.pjl
# The contract's examples live beside the repository, in the workspace that wrote the contract:
# without them the committed contract-examples.pjl is kept as it is.
if [[ -f ../shared/contract/valid.jsonl ]]; then
    lz4 -9 -f -q ../shared/contract/valid.jsonl journals/contract-examples.pjl
else
    echo "gen-journals: ../shared/contract/valid.jsonl is not here: journals/contract-examples.pjl kept as committed" >&2
fi
ls -l journals/*.pjl
