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
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # LABEL [FEATURES...]
  local label=$1
  shift
  cargo bench -q -p netpool-bench --bench pool "$@" -- "$filter" --noplot 2>/dev/null |
    python3 -c '
import re, sys
name = None
for line in sys.stdin:
    m = re.match(r"^(operations/\S+)", line)
    if m:
        name = m.group(1)
    m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
    if m and name:
        v, unit = float(m.group(1)), m.group(2)
        scale = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3}[unit]
        print(f"{sys.argv[1]} {name} {v * scale:.3f}")
        name = None
' "$label" | tee -a "$out/times"
}
for r in $(seq 1 "$rounds"); do
  run off
  run on --features netpool/metrics
done
python3 - "$out/times" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, name, us = line.split()
    runs.setdefault(name, {}).setdefault(label, []).append(float(us))
print()
print(f"{'bench':36} {'off (us)':>22} {'on (us)':>22} {'on/off':>7}")
for name, by in sorted(runs.items()):
    off, on = by.get("off", []), by.get("on", [])
    if not off or not on:
        continue
    fmt = lambda xs: " ".join(f"{x:.1f}" for x in xs)
    ratio = statistics.median(on) / statistics.median(off)
    print(f"{name:36} {fmt(off):>22} {fmt(on):>22} {ratio:7.3f}")
EOF
