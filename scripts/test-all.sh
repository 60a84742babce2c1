#!/usr/bin/env bash
# Runs every Quarry test: the one command for developers and CI (.ci/run calls it).
#
#   bash scripts/test-all.sh
#
# Steps (each prints its own summary; the run exits non-zero if any step fails):
#   1. Python virtualenvs: .venv (pytest, pyyaml, requests, elasticsearch 9, opensearch-py),
#      .venv-es8 (elasticsearch 8.x) and .venv-es7 (elasticsearch7 7.17); reinstalled only
#      when their requirements file changes; pip's download cache is reused.
#   2. cargo fmt --check, cargo clippy -D warnings, the workspace tests (nextest if installed,
#      else cargo test).
#   3. cargo build --release -p quarry-server, then a node on a free port with a temporary
#      data directory, waiting up to 30 s for GET /.
#   4. pytest tests/python against the node (QUARRY_URL), then the es8 and es7 client tests.
#   5. The YAML conformance groups of tests/conformance/groups.txt
#      (tests/conformance/run_conformance.py); fails only below tests/conformance/threshold.txt.
#   6. The official JavaScript client (tests/js, `npm ci` + `node --test`), the esrally smoke
#      race (scripts/rally.sh --smoke) against the same node, and the benchmark smokes
#      (quarry-bench single-node with 20,000 docs on its own node; quarry-bench reroute on a
#      small simulated cluster), which print figures.
#
# Needs: Rust, python3 with venv, curl, and ../shared beside the repository
# (override with QUARRY_SHARED=/path/to/shared). Works with CI=true and no stdin.
# QUARRY_SKIP_CARGO=1 skips step 2 (for iterating on the live-node steps).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHARED="${QUARRY_SHARED:-$ROOT/../shared}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1
# CI runs in a fresh clone each time: keep cargo's build cache outside it on this machine.
if [ "${CI:-}" = true ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/quarry-ci-target"
fi

failed_steps=()
NODE_PID=""
NODE_DIR=""

section() { printf '\n=== %s\n' "$*"; }

# run_step NAME CMD...: runs CMD, records NAME as failed if it exits non-zero.
run_step() {
  local name="$1"
  shift
  section "$name"
  local start=$SECONDS
  "$@"
  local rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "--- $name: ok ($((SECONDS - start))s)"
  else
    echo "--- $name: FAILED (exit $rc, $((SECONDS - start))s)"
    failed_steps+=("$name")
  fi
  return "$rc"
}

stop_node() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null
    for _ in $(seq 1 50); do
      kill -0 "$NODE_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$NODE_PID" 2>/dev/null
    wait "$NODE_PID" 2>/dev/null
  fi
  NODE_PID=""
  if [ -n "$NODE_DIR" ]; then
    rm -rf "$NODE_DIR"
    NODE_DIR=""
  fi
}
trap stop_node EXIT
trap 'stop_node; exit 130' INT TERM

# ---------------------------------------------------------------- 1. python environments

# make_venv DIR REQUIREMENTS: creates DIR and installs REQUIREMENTS unless already done for
# this exact requirements file (a hash stamp inside DIR).
make_venv() {
  local dir="$1" req="$2"
  local stamp="$dir/.requirements.sha256"
  local want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$dir: up to date"
    return 0
  fi
  rm -rf "$dir"
  python3 -m venv "$dir" || return 1
  "$dir/bin/python" -m pip install --quiet --upgrade pip </dev/null || return 1
  "$dir/bin/python" -m pip install --quiet -r "$req" </dev/null || return 1
  echo "$want" >"$stamp"
  echo "$dir: installed from $req"
}

python_envs() {
  make_venv .venv tests/python/requirements.txt &&
    make_venv .venv-es8 tests/python/requirements-es8.txt &&
    make_venv .venv-es7 tests/python/requirements-es7.txt
}

# ---------------------------------------------------------------- 2. cargo

cargo_tests() {
  if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast || return 1
    # nextest does not run doctests.
    cargo test --workspace --doc
  else
    cargo test --workspace --no-fail-fast
  fi
}

# ---------------------------------------------------------------- 3. the node

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_node() {
  local bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/quarry"
  [ -x "$bin" ] || { echo "no binary at $bin"; return 1; }
  NODE_DIR="$(mktemp -d -t quarry-test-node.XXXXXX)"
  local port
  port="$(free_port)" || return 1
  export QUARRY_URL="http://127.0.0.1:$port"
  "$bin" \
    -E cluster.name=quarry-test \
    -E node.name=test-node-1 \
    -E http.port="$port" \
    -E path.data="$NODE_DIR/data" \
    -E path.logs="$NODE_DIR/logs" \
    -E action.destructive_requires_name=false \
    </dev/null >"$NODE_DIR/stdout.log" 2>&1 &
  NODE_PID=$!
  echo "node pid $NODE_PID at $QUARRY_URL (data in $NODE_DIR)"
  local deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
      echo "the node exited during startup:"
      tail -n 50 "$NODE_DIR/stdout.log"
      NODE_PID=""
      return 1
    fi
    if curl -fsS -o /dev/null --max-time 2 "$QUARRY_URL/"; then
      echo "node answered GET / after $((30 - (deadline - SECONDS)))s"
      return 0
    fi
    sleep 0.25
  done
  echo "the node did not answer GET / within 30s:"
  tail -n 50 "$NODE_DIR/stdout.log"
  return 1
}

node_still_alive() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    return 0
  fi
  echo "the node is no longer running; last lines of its output:"
  [ -n "$NODE_DIR" ] && tail -n 50 "$NODE_DIR/stdout.log"
  return 1
}

# ---------------------------------------------------------------- 4. clients

# pytest_run PYTHON ARGS...: pytest, treating "no tests collected" (exit 5) as success.
pytest_run() {
  local py="$1"
  shift
  "$py" -m pytest -p no:cacheprovider "$@" </dev/null
  local rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "(pytest collected no tests)"
    rc=0
  fi
  [ "$rc" -eq 0 ] && node_still_alive
}

legacy_clients() {
  local rc=0
  QUARRY_LEGACY_CLIENT=es8 pytest_run .venv-es8/bin/python -q tests/python/test_es8_es7_clients.py || rc=1
  QUARRY_LEGACY_CLIENT=es7 pytest_run .venv-es7/bin/python -q tests/python/test_es8_es7_clients.py || rc=1
  return "$rc"
}

conformance() {
  if [ ! -d "$SHARED/conformance/opensearch" ] || [ ! -f "$SHARED/tools/yamlrest.py" ]; then
    echo "no conformance suite at $SHARED (set QUARRY_SHARED)"
    return 1
  fi
  .venv/bin/python tests/conformance/run_conformance.py --url "$QUARRY_URL" --shared "$SHARED" || return 1
  node_still_alive
}

js_client() {
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error </dev/null && node --test) || return 1
  node_still_alive
}

rally_smoke() {
  bash scripts/rally.sh --smoke --target-hosts "${QUARRY_URL#http://}" || return 1
  node_still_alive
}

bench_smoke() {
  local dir="${CARGO_TARGET_DIR:-$ROOT/target}/release"
  "$dir/quarry-bench" single-node --quarry-bin "$dir/quarry" --docs 20000 --out bench-results/single-node-smoke.json &&
    "$dir/quarry-bench" reroute --nodes 20 --indices 500 --rounds 3 --out bench-results/reroute-smoke.json
}

# ---------------------------------------------------------------- run

run_step "python environments" python_envs
python_ok=$?

if [ "${QUARRY_SKIP_CARGO:-0}" != 1 ]; then
  run_step "cargo fmt" cargo fmt --all -- --check
  run_step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
  run_step "cargo tests" cargo_tests
fi

if run_step "release build" cargo build --release -p quarry-server -p quarry-bench && run_step "start node" start_node; then
  if [ "$python_ok" -eq 0 ]; then
    run_step "python client tests" pytest_run .venv/bin/python tests/python -ra
    run_step "es8/es7 client tests" legacy_clients
    run_step "YAML conformance" conformance
  else
    echo "skipping the client and conformance tests: no python environment"
  fi
  run_step "javascript client tests" js_client
  run_step "esrally smoke race" rally_smoke
  stop_node
  run_step "benchmark smoke" bench_smoke
else
  echo "skipping the client and conformance tests: no running node"
fi
stop_node

section "summary"
if [ "${#failed_steps[@]}" -eq 0 ]; then
  echo "all steps passed"
  exit 0
fi
printf 'failed step: %s\n' "${failed_steps[@]}"
exit 1
