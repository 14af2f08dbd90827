#!/usr/bin/env bash
# `netlab proxy --metrics` checked with the real Prometheus tools (Debian's `prometheus`
# package: promtool and the server):
#   1. a 2-router `netlab sim`, `netlab proxy --metrics 127.0.0.1:0` in front of it;
#   2. a client (ncclient) sends 7 RPCs to r1 through the proxy;
#   3. `promtool check metrics` lints a scrape (exit 1 on any problem);
#   4. an OpenMetrics scrape (what Prometheus asks for) ends in # EOF;
#   5. a Prometheus server scrapes the proxy every second, and its HTTP API must return
#      netlab_proxy_rpcs_total{name="r1"} = 7, netpool_rpcs_total summed = 7, the latency
#      histogram's count = 7, bytes relayed both ways for r1, and one connection for r1.
# Usage: tools/prometheus-check.sh NETLAB PYTHON   (PYTHON with ncclient installed)
# Every process it starts is stopped on exit; every wait is bounded (KEEP=1 keeps its
# directory of scrapes and logs for a look afterwards).
set -euo pipefail
netlab=$1
py=$2
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
die() { echo "prometheus-check: $*" >&2; for f in "$dir"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
wait_for() { # FILE PATTERN SECONDS
  for _ in $(seq 1 $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

command -v promtool >/dev/null || die "promtool not found (Debian package prometheus)"
rules=$(cd "$(dirname "$0")/.." && pwd)/docs/prometheus/alerts.yml
promtool check rules "$rules" || die "promtool check rules $rules found problems (above)"
command -v prometheus >/dev/null || die "prometheus not found (Debian package prometheus)"

NETLAB_SIM_PASSWORD=lab123 "$netlab" sim --routers 2 --listen 127.0.6.1 --ports 0 \
  --inventory-out "$dir/fleet.toml" >"$dir/sim.log" 2>&1 &
pids+=($!)
wait_for "$dir/sim.log" '^serving' 30 || die "netlab sim did not start"

NETLAB_PROXY_PASSWORD=proxy-pw NETLAB_SIM_PASSWORD=lab123 "$netlab" proxy --inventory "$dir/fleet.toml" \
  --first-port 0 --host-key "$dir/proxy-key" --inventory-out "$dir/proxied.toml" \
  --metrics 127.0.0.1:0 >"$dir/proxy.log" 2>&1 &
pids+=($!)
wait_for "$dir/proxy.log" '^metrics on http://' 30 || die "netlab proxy printed no metrics address"
metrics=$(sed -n 's|^metrics on http://\(.*\)/metrics$|\1|p' "$dir/proxy.log")
r1_port=$(awk '/^r1 /{print $4; exit}' "$dir/proxy.log")
[ -n "$r1_port" ] || die "no r1 endpoint in the proxy's output"

# 7 RPCs to r1 through the proxy, one NETCONF session.
"$py" - "$r1_port" <<'EOF' || die "the client failed"
import sys
from ncclient import manager
from ncclient.xml_ import to_ele
with manager.connect(host="127.0.0.1", port=int(sys.argv[1]), username="lab", password="proxy-pw",
                     hostkey_verify=False, allow_agent=False, look_for_keys=False,
                     device_params={"name": "junos"}, timeout=30) as m:
    for _ in range(7):
        m.rpc(to_ele("<get-software-information/>"))
EOF

scrape() { # ACCEPT -> the body on stdout, the content type on stderr
  "$py" -c "
import sys, urllib.request
r = urllib.request.urlopen(urllib.request.Request('http://$metrics/metrics', headers={'Accept': sys.argv[1]}), timeout=10)
sys.stderr.write(r.headers['Content-Type'] + '\n'); sys.stdout.write(r.read().decode())" "$1"
}
scrape '*/*' >"$dir/scrape.txt" 2>"$dir/scrape.type" || die "scraping http://$metrics/metrics failed"
grep -q '^text/plain; version=0.0.4' "$dir/scrape.type" || die "a plain scrape got $(cat "$dir/scrape.type")"
promtool check metrics <"$dir/scrape.txt" || die "promtool check metrics found problems (above)"
echo "promtool check metrics: clean ($(grep -c '^# TYPE' "$dir/scrape.txt") families, $(grep -vc '^#' "$dir/scrape.txt") samples)"
# What Prometheus itself asks for: OpenMetrics, ending in # EOF.
scrape 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
  >"$dir/scrape.om" 2>"$dir/scrape.om.type" || die "an OpenMetrics scrape failed"
grep -q '^application/openmetrics-text; version=1.0.0' "$dir/scrape.om.type" || die "an OpenMetrics scrape got $(cat "$dir/scrape.om.type")"
[ "$(tail -n1 "$dir/scrape.om")" = "# EOF" ] || die "the OpenMetrics exposition does not end in # EOF"

prom_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$rules"]
scrape_configs:
  - job_name: netlab-proxy
    static_configs:
      - targets: ["$metrics"]
EOF
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$dir/prometheus.log" 2>&1 &
pids+=($!)
"$py" - "$prom_port" <<'EOF' || die "Prometheus never returned the expected series"
import json, sys, time, urllib.parse, urllib.request
port = sys.argv[1]
def query(q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    try:
        r = json.load(urllib.request.urlopen(url, timeout=5))
    except OSError:
        return None
    res = r.get("data", {}).get("result", [])
    return float(res[0]["value"][1]) if res else None
deadline = time.monotonic() + 60
want = {'netlab_proxy_rpcs_total{name="r1"}': 7.0,
        'netlab_proxy_rpcs_total{name="r2"}': 0.0,
        'netpool_connections{device=~".*127.0.6.1:.*"}': 1.0,
        # The pool's own count of the RPCs it sent upstream, and its latency histogram.
        'sum(netpool_rpcs_total)': 7.0,
        'sum(netpool_rpc_duration_seconds_count)': 7.0,
        'sum(netpool_rpc_duration_seconds_bucket{le="+Inf"})': 7.0,
        # Every upstream RPC of this run took under 2.5 s.
        'sum(netpool_rpc_duration_seconds_bucket{le="2.5"})': 7.0,
        'count(netlab_proxy_relayed_bytes_total{name="r1"} > 100)': 2.0,
        # Prometheus scraped the proxy (2.42 asks for OpenMetrics first: `Accept:
        # application/openmetrics-text;version=1.0.0,...`, so this is the OpenMetrics path).
        'count(scrape_samples_scraped{job="netlab-proxy"})': 1.0}
got = {}
while time.monotonic() < deadline:
    got = {q: query(q) for q in want}
    if got == want:
        break
    time.sleep(1)
print("Prometheus query API:", json.dumps(got))
# The documented alert rules (docs/prometheus/alerts.yml) are loaded and evaluate cleanly
# against these series.
rules = {}
while time.monotonic() < deadline:
    groups = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rules", timeout=5))["data"]["groups"]
    rules = {r["name"]: r.get("health") for g in groups for r in g["rules"]}
    if rules and all(h == "ok" for h in rules.values()):
        break
    time.sleep(1)
print("Prometheus rules API:", json.dumps(rules))
ok_rules = rules == {"NetpoolCircuitOpen": "ok", "NetpoolSlowCheckout": "ok"}
sys.exit(0 if got == want and ok_rules else 1)
EOF
echo "a real Prometheus server scraped netlab proxy: the series match what the client did"
