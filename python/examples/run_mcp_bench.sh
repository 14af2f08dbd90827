#!/usr/bin/env bash
# The published MCP benchmark on this machine: 5 simulated vmx routers (netlab sim), an MCP
# server in front of them, and mcp_bench.py's three phases.
#   python/examples/run_mcp_bench.sh [JSON_OUT]
# SERVER picks the server: python/examples/mcp_server.py (netpool.AsyncPool, the default) or
# python/examples/pyez_server.py (PyEZ code, pooled by `from netpool.pyez import Device`).
# PER_CALL_FROM names an earlier run's JSON whose PyEZ-per-call figure is reused.
# Uses NETLAB_BIN (default: release/netlab of CARGO_TARGET_DIR, else of target/) and PYTHON
# (default: .venv/bin/python when present, else python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
netlab="${NETLAB_BIN:-${CARGO_TARGET_DIR:-target}/release/netlab}"
py="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
export NETLAB_SIM_PASSWORD=lab123
dir=$(mktemp -d)
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$netlab" sim --routers 5 --profile vmx --listen 127.99.0.1 --ports 0 --inventory-out "$dir/vmx.toml" > "$dir/sim.log" 2>&1 &
sim=$!
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  kill -INT "$sim" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do grep -q '^serving' "$dir/sim.log" 2>/dev/null && break; sleep 0.1; done
# netpool.pyez learns host keys on first use: into a file of this run, not the user's.
NETPOOL_KNOWN_HOSTS_FILE="$dir/known_hosts" \
  "$py" "${SERVER:-python/examples/mcp_server.py}" --inventory "$dir/vmx.toml" --listen "127.0.0.1:$port" > "$dir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break; sleep 0.1; done
"$py" python/examples/mcp_bench.py --url "http://127.0.0.1:$port/mcp" --inventory "$dir/vmx.toml" ${1:+--json "$1"} \
  ${PER_CALL_FROM:+--per-call-from "$PER_CALL_FROM"}
