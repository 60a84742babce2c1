#!/usr/bin/env bash
# Runs esrally 2.13 offline against a Quarry node: the local track in ../shared/bench/rally-track
# (copied to a temporary directory with its generated documents, so ../shared stays untouched).
#
#   bash scripts/rally.sh [--smoke] [--target-hosts HOST:PORT]
#
# Without --target-hosts it starts target/release/quarry on a free port with a temporary data
# directory. --smoke races 20,000 documents with 20 search iterations (what CI runs); without it
# the full 100,000-document track. The report goes to bench-results/rally-report.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHARED="${QUARRY_SHARED:-$ROOT/../shared}"
VENV="$ROOT/.venv-rally"
SMOKE=0
HOSTS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --target-hosts) HOSTS="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

stamp="$VENV/.requirements.sha256"
want="$(sha256sum tests/rally/requirements.txt | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/esrally" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip </dev/null
  "$VENV/bin/python" -m pip install --quiet -r tests/rally/requirements.txt </dev/null
  echo "$want" >"$stamp"
fi

WORK="$(mktemp -d -t quarry-rally.XXXXXX)"
NODE_PID=""
cleanup() {
  if [ -n "$NODE_PID" ]; then kill "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cp -r "$SHARED/bench/rally-track" "$WORK/track"
DOCS=100000
PARAMS="bulk_size:5000"
if [ "$SMOKE" = 1 ]; then
  DOCS=20000
  PARAMS="bulk_size:5000,search_warmup_iterations:5,search_iterations:20"
fi
python3 "$WORK/track/gen_docs.py" "$DOCS" "$WORK/track/documents.json"
# Keep the corpus metadata in step with the generated file.
python3 - "$WORK/track" "$DOCS" <<'PY'
import os, re, sys
track, docs = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(os.path.join(track, "documents.json"))
path = os.path.join(track, "track.json")
text = open(path).read()
text = re.sub(r'"document-count": \d+', f'"document-count": {docs}', text)
text = re.sub(r'"uncompressed-bytes": \d+', f'"uncompressed-bytes": {size}', text)
open(path, "w").write(text)
PY

if [ -z "$HOSTS" ]; then
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/quarry"
  [ -x "$BIN" ] || { echo "no binary at $BIN: cargo build --release -p quarry-server" >&2; exit 1; }
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$BIN" -E http.port="$PORT" -E path.data="$WORK/data" -E path.logs="$WORK/logs" </dev/null >"$WORK/node.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null && break
    sleep 0.25
  done
  HOSTS="127.0.0.1:$PORT"
fi

mkdir -p bench-results
RALLY_HOME="$WORK/rally-home" "$VENV/bin/esrally" race --offline --pipeline=benchmark-only \
  --target-hosts="$HOSTS" --track-path="$WORK/track" --kill-running-processes \
  --on-error=abort --track-params="$PARAMS" --report-file="$ROOT/bench-results/rally-report.md" </dev/null
echo "esrally race finished; report in bench-results/rally-report.md"
