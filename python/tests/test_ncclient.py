"""netpool.ncclient.connect against ncclient's manager.connect, and NAPALM's junos driver
through netpool.napalm against NAPALM's own: the same calls on both, on the same fleet."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from ncclient import manager as nc_manager
from ncclient.operations import RPCError
from ncclient.transport import errors as nc_errors
from ncclient.xml_ import new_ele, to_ele

import netpool.ncclient as pooled
import netpool.pyez as npyez
from conftest import PASSWORD, Fleet, fleet_fixture, shared_stats

CONNECTS = {"ncclient": nc_manager.connect, "netpool": pooled.connect}


routers = fleet_fixture("routers", 2, "instant", "module", "Two routers of their own.")


pytestmark = pytest.mark.usefixtures("pyez_shared_pool")


@pytest.fixture(params=sorted(CONNECTS))
def connect(request):
    return CONNECTS[request.param]


def params(fleet: Fleet, i: int, **kw: Any) -> Dict[str, Any]:
    host, port = fleet.hosts[i]
    p: Dict[str, Any] = dict(host=host, port=port, username="lab", password=PASSWORD, hostkey_verify=False,
                             look_for_keys=False, allow_agent=False, device_params={"name": "junos"}, timeout=30)
    p.update(kw)
    return p


def test_rpc_command_get_config_and_session(connect, routers):
    with connect(**params(routers, 0)) as m:
        assert m.connected
        assert int(m.session_id) > 0
        assert any("junos" in c for c in m.server_capabilities)
        sw = m.rpc(new_ele("get-software-information"))
        assert sw.xpath("//host-name")[0].text == "r1"
        text = m.command("show version", format="text")
        assert text.xpath("//output")[0].text.strip().splitlines()[0] == "Hostname: r1"
        cfg = m.get_config(source="running")
        assert cfg.xpath("//host-name")[0].text == "r1"
        got = m.dispatch(to_ele("<get-software-information/>"))
        assert got.xpath("//host-name")[0].text == "r1"
        with pytest.raises(RPCError):
            m.rpc(new_ele("get-frobnication-information"))


def test_lock_edit_config_validate_commit_discard(connect, routers):
    with connect(**params(routers, 1)) as m:
        m.lock(target="candidate")
        m.edit_config(target="candidate", config=(
            '<config><configuration><interfaces><interface><name>ge-0/0/2</name>'
            '<description>by-edit-config</description></interface></interfaces></configuration></config>'))
        m.validate(source="candidate")
        m.commit()
        m.load_configuration(action="set", config=["set interfaces ge-0/0/2 description discarded"])
        m.discard_changes()
        m.unlock(target="candidate")
        cfg = m.get_config(source="running", filter=("subtree", "<configuration><interfaces/></configuration>"))
        assert cfg.xpath("//interface[name='ge-0/0/2']/description")[0].text == "by-edit-config"


def test_wrong_password_is_ncclients_authentication_error(connect, routers):
    with pytest.raises(nc_errors.AuthenticationError):
        connect(**params(routers, 0, password="wrong"))


def test_close_session_hands_back_and_the_next_connect_reuses_it(routers):
    for _ in range(5):
        m = pooled.connect(**params(routers, 0))
        assert m.rpc(new_ele("get-software-information")).xpath("//host-name")[0].text == "r1"
        m.close_session()
        assert not m.connected
    s = shared_stats(npyez.stats(), routers.hosts[0])
    assert s["netconf_opened"] == 1, s
    assert s["in_use"] == 0, s


# ---------------------------------------------------------------------------------------
# NAPALM's junos driver, its own and through netpool.napalm
# ---------------------------------------------------------------------------------------

# Getters whose answer does not move between two calls a second apart.
STABLE = ["get_facts", "get_interfaces_ip", "get_arp_table", "get_lldp_neighbors", "get_bgp_config",
          "get_ntp_servers", "get_snmp_information", "get_users", "get_network_instances", "get_config"]


def napalm_driver(kind: str):
    if kind == "napalm":
        from napalm import get_network_driver

        return get_network_driver("junos")
    from netpool.napalm import JunOSDriver

    return JunOSDriver


def run_getters(kind: str, fleet: Fleet) -> Dict[str, Any]:
    host, port = fleet.hosts[0]
    d = napalm_driver(kind)(host, "lab", PASSWORD, optional_args={"port": port})
    d.open()
    try:
        out = {}
        for g in STABLE:
            v = getattr(d, g)()
            if g == "get_facts":
                v.pop("uptime", None)
            out[g] = json.loads(json.dumps(v, default=str))
        out["is_alive"] = d.is_alive()
        return out
    finally:
        d.close()


def test_napalm_getters_through_netpool_match_napalms_own(routers):
    own = run_getters("napalm", routers)
    pooled_out = run_getters("netpool", routers)
    assert own["get_facts"]["hostname"] == "r1"
    assert own["is_alive"] == {"is_alive": True}
    for g in own:
        assert pooled_out[g] == own[g], g


def test_napalm_config_cycle_through_netpool(routers):
    from netpool.napalm import JunOSDriver

    host, port = routers.hosts[1]
    with JunOSDriver(host, "lab", PASSWORD, optional_args={"port": port}) as d:
        d.load_merge_candidate(config="set interfaces ge-0/0/1 description by-napalm")
        assert "by-napalm" in d.compare_config()
        d.commit_config()
        d.load_merge_candidate(config="set interfaces ge-0/0/1 description not-wanted")
        d.discard_config()
        assert d.compare_config() == ""
        assert d.get_interfaces()["ge-0/0/1"]["description"] == "by-napalm"
