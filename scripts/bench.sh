#!/usr/bin/env bash
# Single-node indexing benchmark: Quarry vs raw tantivy on the same generated documents.
#
#   scripts/bench.sh                     1,000,000 docs, 2 clients -> bench-results/single-node.json
#   scripts/bench.sh --docs 200000       any quarry-bench single-node flag is passed through
#   scripts/bench.sh --smoke [flags]     20,000 docs (CI)
#   scripts/bench.sh --tantivy-only [flags]   raw tantivy baseline only, no node
#
# Builds the release binaries first (cargo build --release -p quarry-server -p quarry-bench).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

mode=single-node
smoke=0
has_docs=0
args=()
for a in "$@"; do
  case "$a" in
    --smoke) smoke=1 ;;
    --docs|--docs=*) has_docs=1; args+=("$a") ;;
    --tantivy-only) mode=tantivy-only ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$a") ;;
  esac
done
if [ "$smoke" = 1 ] && [ "$has_docs" = 0 ]; then
  args+=(--docs 20000)
fi

if [ "$mode" = single-node ]; then
  cargo build --release -p quarry-server -p quarry-bench
else
  cargo build --release -p quarry-bench
fi

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BENCH="$TARGET_DIR/release/quarry-bench"

if [ "$mode" = single-node ]; then
  exec "$BENCH" single-node --quarry-bin "$TARGET_DIR/release/quarry" "${args[@]}"
else
  exec "$BENCH" tantivy-only "${args[@]}"
fi
