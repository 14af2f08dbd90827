#!/usr/bin/env bash
# The cost of netpool's `metrics` feature on the pooled call path, measured side by side:
# criterion's pooled NETCONF RPC and pooled exec benches (bench/benches/pool.rs, against an
# in-process junos-sim on the instant profile: software cost only), built without and with
# `--features netpool/metrics`, run alternately ROUNDS times (default 3) so that the
# machine's drift hits both alike. Prints each run's estimate and the on/off ratio of the
# medians.
# Usage: tools/metrics-cost.sh [ROUNDS]   (release builds: the first round compiles both)
set -euo pipefail
rounds=${1:-3}
filter='operations/(pooled_netconf_rpc|pooled_exec)$'
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # LABEL [FEATURES...]
  local label=$1
  shift
  cargo bench -q -p netpool-bench --bench pool "$@" -- "$filter" --noplot 2>/dev/null |
    python3 "$here/criterion-table.py" read "$label" | tee -a "$out/times"
}
for r in $(seq 1 "$rounds"); do
  run off
  run on --features netpool/metrics
done
python3 "$here/criterion-table.py" table "$out/times" off on
