"""ncclient with device_params junos: get-software-information, command (text and xml),
get-config, lock / load (set) / commit / unlock, close."""
import json
import sys

from ncclient import manager
from ncclient.xml_ import new_ele

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {}
with manager.connect(host=host, port=port, username=user, password=password,
                     hostkey_verify=False, look_for_keys=False, allow_agent=False,
                     device_params={"name": "junos"}, timeout=30) as m:
    out["session_id"] = m.session_id
    out["caps"] = sorted(c for c in m.server_capabilities if "juniper" in c)
    sw = m.rpc(new_ele("get-software-information"))
    out["hostname"] = sw.xpath("//host-name")[0].text
    out["version"] = sw.xpath("//junos-version")[0].text
    text = m.command("show version", format="text")
    out["command_text"] = text.xpath("//output")[0].text.strip().splitlines()[0]
    xml = m.command("show route 10.0.15.0 extensive")
    # extensive: the address and the length apart, as Junos writes them in that style
    out["route_destinations"] = [e.text for e in xml.xpath("//rt-destination")]
    out["route_prefix_lengths"] = [e.text for e in xml.xpath("//rt-prefix-length")]
    cfg = m.get_config(source="running")
    out["config_host_name"] = cfg.xpath("//host-name")[0].text
    m.lock(target="candidate")
    m.load_configuration(action="set", config=["set system host-name nc-renamed"])
    m.commit()
    m.unlock(target="candidate")
    cfg = m.get_config(source="running")
    out["after_commit_host_name"] = cfg.xpath("//host-name")[0].text
    try:
        m.rpc(new_ele("get-frobnication-information"))
        out["unknown_rpc"] = "no error"
    except Exception as e:  # RPCError expected
        out["unknown_rpc"] = type(e).__name__
print(json.dumps(out))
