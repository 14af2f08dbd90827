"""Ansible's junipernetworks.junos resource modules, unmodified, against one junos-sim
router over NETCONF: for each module whose feature a vMX has, `merged` (the module
writes Junos XML), `merged` again (idempotent: nothing changes), then `gathered` (the
module parses the configuration the router holds back into its model, which must hold every
key and value that was merged). Prints one JSON
object {module: {"merged": ..., "idempotent": ..., "gathered": ..., "error": ...}}.

Usage: ansible_resources.py HOST PORT USER PASSWORD [MODULE,...]
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml

host, port, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
only = set(sys.argv[5].split(",")) if len(sys.argv) > 5 else None

# (module, config to merge, what `gathered` must then hold: a path of keys and a value).
MODULES = [
    ("junos_hostname", {"hostname": "ansible-r1"}, ["hostname"], "ansible-r1"),
    ("junos_interfaces", [{"name": "ge-0/0/1", "description": "by ansible", "mtu": 9000}], None, None),
    ("junos_l3_interfaces", [{"name": "ge-0/0/3", "ipv4": [{"address": "10.9.9.1/24"}]}], None, None),
    ("junos_lacp", {"system_priority": 63}, ["system_priority"], 63),
    ("junos_lacp_interfaces", [{"name": "ae0", "period": "fast"}], None, None),
    ("junos_lag_interfaces", [{"name": "ae0", "mode": "active", "members": [{"member": "ge-0/0/2"}]}], None, None),
    ("junos_lldp_global", {"address": "10.1.1.1", "interval": 10000, "hold_multiplier": 10, "transmit_delay": 400}, ["interval"], 10000),
    ("junos_lldp_interfaces", [{"name": "ge-0/0/1"}], None, None),
    ("junos_logging_global", {"files": [{"name": "ansible-log", "any": {"level": "warning"}}], "hosts": [{"name": "192.0.2.50", "any": {"level": "warning"}}]}, None, None),
    ("junos_ntp_global", {"servers": [{"server": "192.0.2.10", "prefer": True}], "peers": [{"peer": "192.0.2.11"}]}, None, None),
    ("junos_routing_options", {"autonomous_system": {"as_number": "65432"}, "router_id": "12.12.12.12"}, ["router_id"], "12.12.12.12"),
    ("junos_ospfv2", [{"router_id": "10.1.1.1", "areas": [{"area_id": "0.0.0.100", "interfaces": [{"name": "ge-0/0/1.0", "priority": 3}]}]}], None, None),
    ("junos_ospfv3", [{"router_id": "10.1.1.1", "areas": [{"area_id": "0.0.0.100", "interfaces": [{"name": "ge-0/0/1.0", "priority": 3}]}]}], None, None),
    ("junos_prefix_lists", [{"name": "PL1", "address_prefixes": ["172.16.1.0/24", "172.16.2.0/24"]}], None, None),
    # Before any routing instance: its parser assumes every instance has routing-options
    # (a module bug: a real vMX with a VRF without static routes fails the same way).
    ("junos_static_routes", [{"address_families": [{"afi": "ipv4", "routes": [{"dest": "192.168.99.0/24", "next_hop": [{"forward_router_address": "10.0.14.2"}]}]}]}], None, None),
    ("junos_routing_instances", [{"name": "VRF1", "type": "vrf", "route_distinguisher": "10.0.0.1:200", "interfaces": [{"name": "ge-0/0/3.0"}]}], None, None),
    ("junos_snmp_server", {"contact": "noc", "location": "lab", "communities": [{"name": "ansible-ro", "authorization": "read-only"}]}, ["location"], "lab"),
    ("junos_bgp_global", {"as_number": "65534", "log_updown": True, "groups": [{"name": "ansible-grp", "type": "external", "neighbors": [{"neighbor_address": "11.11.11.11", "peer_as": "65100"}]}]}, None, None),
    ("junos_bgp_address_family", {"address_family": [{"afi": "inet", "af_type": [{"type": "unicast", "loops": 4}]}]}, None, None),
    ("junos_acls", [{"afi": "ipv4", "acls": [{"name": "allow_ssh", "aces": [{"name": "ssh_rule", "source": {"port_protocol": {"eq": "ssh"}}, "protocol": "tcp"}]}]}], None, None),
    ("junos_acl_interfaces", [{"name": "ge-0/0/1", "access_groups": [{"afi": "ipv4", "acls": [{"name": "allow_ssh", "direction": "in"}]}]}], None, None),
]


def play(module, config):
    fq = "junipernetworks.junos." + module
    return {
        "name": module,
        "hosts": "routers",
        "gather_facts": False,
        "connection": "ansible.netcommon.netconf",
        "vars": {"ansible_network_os": "junipernetworks.junos.junos"},
        "tasks": [
            {"name": "merged", fq: {"config": config, "state": "merged"}, "register": "m1", "ignore_errors": True},
            {"name": "merged again", fq: {"config": config, "state": "merged"}, "register": "m2", "ignore_errors": True},
            {"name": "gathered", fq: {"state": "gathered"}, "register": "g", "ignore_errors": True},
        ],
    }


def dig(v, path):
    for k in path:
        if not isinstance(v, dict):
            return None
        v = v.get(k)
    return v


def missing(want, got, at="config"):
    """Where `got` (what `gathered` returned) lacks `want` (what was merged): None if every
    key, entry and value merged is there. A list entry may match any entry of the gathered
    list; scalars compare as text (a module may gather 9000 as "9000")."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{at}: want a mapping, gathered {got!r}"[:300]
        for k, w in want.items():
            why = missing(w, got.get(k), f"{at}.{k}")
            if why:
                return why
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return f"{at}: want a list, gathered {got!r}"[:300]
        for i, w in enumerate(want):
            if all(missing(w, g) for g in got):
                return f"{at}[{i}] = {w!r} not among the gathered {got!r}"[:300]
        return None
    if isinstance(want, bool) or isinstance(got, bool):
        return None if want == got else f"{at}: want {want!r}, gathered {got!r}"
    return None if str(want) == str(got) else f"{at}: want {want!r}, gathered {got!r}"


out = {}
with tempfile.TemporaryDirectory() as d:
    inv = os.path.join(d, "hosts.ini")
    with open(inv, "w") as f:
        f.write(f"[routers]\nr1 ansible_host={host} ansible_port={port} ansible_user={user} ansible_password={password}\n")
    book = os.path.join(d, "resources.yml")
    with open(book, "w") as f:
        yaml.safe_dump([play(m, c) for m, c, _, _ in MODULES if only is None or m in only], f, sort_keys=False)
    env = dict(os.environ)
    env.update({
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_LOCAL_TEMP": os.path.join(d, "tmp"),
        "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": os.path.join(d, "pc"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
    })
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    run = subprocess.run([os.path.join(bindir, "ansible-playbook"), "-i", inv, book],
                         capture_output=True, text=True, env=env, timeout=900)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(json.dumps({"error": "no JSON from ansible-playbook", "stdout": run.stdout[-3000:], "stderr": run.stderr[-3000:]}))
        sys.exit(1)
    want = {m: (p, v) for m, _, p, v in MODULES}
    merged_config = {m: c for m, c, _, _ in MODULES}
    for p in report["plays"]:
        module = p["play"]["name"]
        tasks = {t["task"]["name"]: t["hosts"].get("r1", {}) for t in p["tasks"]}
        m1, m2, g = tasks.get("merged", {}), tasks.get("merged again", {}), tasks.get("gathered", {})
        gathered = g.get("gathered")
        path, value = want[module]
        row = {
            "merged": not m1.get("failed", False) and m1.get("changed", False),
            "idempotent": not m2.get("failed", False) and not m2.get("changed", True),
            "gathered": not g.get("failed", False) and bool(gathered),
            "error": None,
        }
        if path is not None and dig(gathered, path) != value:
            row["gathered"] = False
            row["error"] = f"gathered {path} = {dig(gathered, path)!r}, want {value!r}"
        # Every module gathers back what it merged (the factory configuration already fills
        # interfaces, OSPF, BGP and LLDP, so "non-empty" would not tell).
        lack = missing(merged_config[module], gathered) if row["gathered"] else None
        if lack:
            row["gathered"] = False
            row["error"] = row["error"] or f"gathered lacks what was merged: {lack}"
        for name, t in (("merged", m1), ("merged again", m2), ("gathered", g)):
            if t.get("failed") and row["error"] is None:
                row["error"] = f"{name}: {' '.join(str(t.get('msg')).split())[:1500]}"
        if row["error"] is None and not row["idempotent"]:
            row["error"] = f"merged again changed: {json.dumps(m2.get('commands') or m2.get('diff'), default=str)[:300]}"
        row["gathered_sample"] = json.dumps(gathered, default=str)[:300]
        out[module] = row
print(json.dumps(out))
