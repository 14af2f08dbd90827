"""NAPALM's junos driver (PyPI `napalm`), unmodified, against one junos-sim router: the
configuration cycle (merge NTP, SNMP, RPM probes and an interface description; compare;
commit), every getter a vMX supports, then rollback. Prints one JSON object:
{"getters": {name: {"ok": bool, "empty": bool, "error": str | None, "sample": ..., "value": ...}},
 "config": {...}}. A getter that raises is recorded, never fatal: the caller counts.

Usage: napalm_check.py HOST PORT USER PASSWORD
"""
import json
import sys
import traceback

from napalm import get_network_driver

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

# Getters a vMX answers, with their arguments.
GETTERS = [
    ("get_facts", {}),
    ("get_interfaces", {}),
    ("get_interfaces_ip", {}),
    ("get_interfaces_counters", {}),
    ("get_environment", {}),
    ("get_arp_table", {}),
    ("get_ipv6_neighbors_table", {}),
    ("get_lldp_neighbors", {}),
    ("get_lldp_neighbors_detail", {}),
    ("get_bgp_neighbors", {}),
    ("get_bgp_neighbors_detail", {}),
    ("get_bgp_config", {}),
    ("get_ntp_peers", {}),
    ("get_ntp_servers", {}),
    ("get_ntp_stats", {}),
    ("get_snmp_information", {}),
    ("get_users", {}),
    ("get_optics", {}),
    ("get_probes_config", {}),
    ("get_probes_results", {}),
    ("get_route_to", {"destination": "10.0.14.0/24"}),
    ("get_network_instances", {}),
    ("get_config", {}),
    ("get_mac_address_table", {}),
    ("get_vlans", {}),
    ("is_alive", {}),
    ("ping", {"destination": "10.0.14.2", "count": 2}),
    ("traceroute", {"destination": "10.0.14.2", "ttl": 3}),
]


def short(v):
    text = json.dumps(v, default=str)
    return text[:300]


def empty(v):
    """No data at the top level: None, or an empty dict, list or string (NTP servers are
    `{addr: {}}`: that is data). The caller checks the values themselves (the "value" field),
    as an answer can be non-empty and still hold nothing (`{"success": {}}`)."""
    if isinstance(v, (dict, list, str)):
        return not v
    return v is None


driver = get_network_driver("junos")
dev = driver(host, user, password, timeout=30, optional_args={"port": port})
out = {"getters": {}, "config": {}}
# What the getters then report: configured the way a user would, through NAPALM.
SETUP = """
set system ntp server 192.0.2.123 prefer
set system ntp peer 192.0.2.124
set snmp location "lab rack 4"
set snmp contact noc@example.net
set snmp community public authorization read-only
set services rpm probe P1 test T1 probe-type icmp-ping
set services rpm probe P1 test T1 target address 10.0.14.2
set interfaces ge-0/0/0 description "to r2"
set interfaces ge-0/0/0 unit 0 family inet6
"""
dev.open()
try:
    dev.load_merge_candidate(config=SETUP)
    out["config"]["setup_compare"] = dev.compare_config()
    dev.commit_config()
    out["config"]["setup_committed"] = True
except Exception as e:  # noqa: BLE001
    out["config"]["setup_error"] = f"{type(e).__name__}: {e}"[:400]
for name, args in GETTERS:
    try:
        v = getattr(dev, name)(**args)
        out["getters"][name] = {"ok": True, "empty": empty(v), "error": None, "sample": short(v),
                                "value": json.loads(json.dumps(v, default=str))}
    except Exception as e:  # noqa: BLE001 - every failure is what we count
        last = traceback.extract_tb(e.__traceback__)[-1]
        out["getters"][name] = {
            "ok": False,
            "empty": True,
            "error": f"{type(e).__name__}: {e} ({last.filename.split('/')[-1]}:{last.lineno})"[:400],
            "sample": None,
        }
# The configuration cycle: merge, compare, commit, rollback.
try:
    dev.load_merge_candidate(config="set system login message napalm-was-here")
    out["config"]["compare"] = dev.compare_config()
    dev.commit_config()
    out["config"]["committed"] = True
    dev.rollback()
    out["config"]["rolled_back"] = True
except Exception as e:  # noqa: BLE001
    out["config"]["error"] = f"{type(e).__name__}: {e}"[:400]
# Commit confirm: commit with revert_in, pending (and for how long), then confirmed.
confirm = out["confirm"] = {}
try:
    dev.load_merge_candidate(config="set system location building napalm-confirm")
    dev.commit_config(revert_in=120)
    confirm["pending"] = dev.has_pending_commit()
    confirm["pending_commits"] = dev._get_pending_commits()
    dev.confirm_commit()
    confirm["pending_after_confirm"] = dev.has_pending_commit()
except Exception as e:  # noqa: BLE001
    confirm["error"] = f"{type(e).__name__}: {e}"[:400]
dev.close()
print(json.dumps(out))
