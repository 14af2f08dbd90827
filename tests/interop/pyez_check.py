"""Juniper PyEZ: Device.open(), facts, cli, rpc.get_route_information, Config lock / load /
commit / unlock, close."""
import json
import sys

from jnpr.junos import Device
from jnpr.junos.utils.config import Config

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {}
dev = Device(host=host, port=port, user=user, passwd=password, gather_facts=True,
             look_for_keys=False, allow_agent=False)
dev.open()
facts = dict(dev.facts)  # gathers every fact; must not raise
out["facts"] = {k: facts.get(k) for k in ("hostname", "model", "version", "serialnumber")}
out["fact_count"] = len(facts)
out["cli"] = dev.cli("show version", warning=False).strip().splitlines()[0]
# The routing engine as a host: facts read from files, PyEZ's FS utility, the PFE shell.
out["home"] = facts.get("HOME")
out["is_linux"] = dev.facts["_is_linux"]  # a private fact: not in dict(dev.facts)
from jnpr.junos.utils.fs import FS  # noqa: E402
fs = FS(dev)
listing = fs.ls("/var/log") or {}
out["var_log"] = sorted(listing.get("files", {}))
out["missing_path"] = fs.stat("/no/such/path")
out["hosts_junos"] = "fpc0" in (fs.cat("/etc/hosts.junos") or "")
pfe = dev.rpc.request_pfe_execute(target="fpc0", command="show nhdb summary")
out["pfe"] = [line for line in pfe.text.splitlines() if line.startswith("GOT:")]
routes = dev.rpc.get_route_information(destination="10.0.14.0")
out["routes"] = [e.text for e in routes.findall(".//rt-destination")]
with Config(dev, mode="exclusive") as cu:
    cu.load("set system host-name pyez-renamed", format="set")
    out["diff"] = (cu.diff() or "").strip()
    out["commit"] = cu.commit(comment="from pyez")
dev.close()
print(json.dumps(out))
