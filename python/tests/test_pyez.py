"""netpool.pyez.Device against plain PyEZ: the same checks on both, on the same fleet.

Every feature test is parametrized over ``pyez`` (jnpr.junos.Device, the control) and
``netpool`` (netpool.pyez.Device): a check that passes with PyEZ and fails through netpool
is a bug of ours. The tests after those are netpool's own: sessions reused, reset between
users, 32 threads on one pool, the event loop under ``to_thread``, dead routers.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from typing import Any, Dict, List

import pytest
from jnpr.junos import Device as PyEZDevice
from jnpr.junos import exception as ez
from jnpr.junos.op.arp import ArpTable
from jnpr.junos.op.ethport import EthPortTable
from jnpr.junos.op.routes import RouteTable
from jnpr.junos.utils.config import Config

import netpool
import netpool.pyez as npyez
from conftest import PASSWORD, Fleet, fleet_fixture, shared_stats, under_ticker

IMPLS = {"pyez": PyEZDevice, "netpool": npyez.Device}


routers = fleet_fixture("routers", 3, "instant", "module", "Three routers of their own (their configuration is changed here): r1 is read, r2 and r3 take changes.")


pytestmark = pytest.mark.usefixtures("pyez_shared_pool")


@pytest.fixture(params=sorted(IMPLS))
def Dev(request):
    return IMPLS[request.param]


_runs = iter(range(1, 1_000_000))


@pytest.fixture
def tag(Dev) -> str:
    """A value no earlier run wrote (both implementations change the same routers)."""
    return f"{'np' if Dev is npyez.Device else 'ez'}{next(_runs)}"


def at(fleet: Fleet, i: int, **kw: Any) -> Dict[str, Any]:
    host, port = fleet.hosts[i]
    args: Dict[str, Any] = dict(host=host, port=port, user="lab", passwd=PASSWORD)
    args.update(kw)
    return args


# ---------------------------------------------------------------------------------------
# The same checks on PyEZ and on netpool.pyez
# ---------------------------------------------------------------------------------------


def test_facts(Dev, routers):
    with Dev(**at(routers, 0)) as dev:
        facts = dict(dev.facts)
        assert facts["hostname"] == "r1"
        assert facts["model"] == "VMX"
        assert facts["version"] == "21.4R3-S5.4"
        assert len(facts) >= 30
        assert dev.facts["version_info"].major == (21, 4)


def test_cli_rpc_normalize_and_json(Dev, routers):
    with Dev(**at(routers, 0)) as dev:
        assert dev.cli("show version", warning=False).strip().splitlines()[0] == "Hostname: r1"
        routes = dev.rpc.get_route_information(destination="10.0.14.0")
        assert [e.text for e in routes.findall(".//rt-destination")] == ["10.0.14.0/24"]
        sw = dev.rpc.get_software_information(normalize=True)
        assert sw.findtext("host-name") == "r1"
        as_json = dev.rpc.get_software_information({"format": "json"})
        assert as_json["software-information"][0]["host-name"][0]["data"] == "r1"
        dev.timeout = 45
        assert dev.timeout == 45


def test_op_tables_and_views(Dev, routers):
    with Dev(**at(routers, 0)) as dev:
        ports = EthPortTable(dev).get()
        assert len(ports) > 0
        assert ports[0].oper in ("up", "down")
        routes = RouteTable(dev).get("10.0.14.0/24")
        assert routes.keys() == ["10.0.14.0/24"]
        arp = ArpTable(dev).get()
        assert all(e.mac_address for e in arp)


def test_config_set_text_xml_json_diff_commit_rollback(Dev, routers, tag):
    with Dev(**at(routers, 1)) as dev:
        cu = Config(dev)
        cu.lock()
        cu.load(f'set interfaces ge-0/0/3 description "set {tag}"', format="set")
        assert f'description "set {tag}"' in (cu.diff() or "")
        assert cu.commit_check() is True
        assert cu.commit(comment="set load") is True
        cu.load(f"interfaces {{ ge-0/0/3 {{ description text-{tag}; }} }}", format="text")
        cu.load(
            "<configuration><interfaces><interface><name>ge-0/0/4</name>"
            f"<description>xml-{tag}</description></interface></interfaces></configuration>",
            format="xml",
        )
        cu.load(json.dumps({"configuration": {"interfaces": {"interface": [
            {"name": "ge-0/0/5", "description": f"json-{tag}"}]}}}), format="json")
        diff = cu.diff() or ""
        for want in (f"text-{tag}", f"xml-{tag}", f"json-{tag}"):
            assert want in diff, diff
        assert cu.commit() is True
        cu.rollback(1)
        assert f"xml-{tag}" in (cu.diff() or "")
        assert cu.commit() is True
        cu.unlock()
        conf = dev.rpc.get_config(filter_xml="<interfaces/>")
        assert conf.xpath("//interface[name='ge-0/0/3']/description")[0].text == f"set {tag}"
        ge4 = [e.text for e in conf.xpath("//interface[name='ge-0/0/4']/description")]
        assert ge4 != [f"xml-{tag}"], ge4  # rolled back


def test_commit_confirmed_and_rescue(Dev, routers, tag):
    with Dev(**at(routers, 1)) as dev:
        with Config(dev, mode="exclusive") as cu:
            cu.load(f'set interfaces ge-0/0/6 description "confirm {tag}"', format="set")
            assert cu.commit(confirm=2) is True
            assert cu.commit() is True
        with Config(dev) as cu:
            assert cu.rescue("save") is True
            assert cu.rescue("get", format="text") is not None


def test_private_mode(Dev, routers, tag):
    with Dev(**at(routers, 2)) as dev:
        with Config(dev, mode="private") as cu:
            cu.load(f'set interfaces ge-0/0/7 description "private {tag}"', format="set")
            assert f"private {tag}" in (cu.diff() or "")
            assert cu.commit() is True


def test_pyez_exceptions_where_pyez_raises_them(Dev, routers):
    with Dev(**at(routers, 2)) as dev:
        with pytest.raises(ez.RpcError):
            dev.rpc.get_frobnication_information()
        cu = Config(dev)
        with pytest.raises(ez.ConfigLoadError):
            cu.load("set frobnicate everything", format="set")
        cu.rollback(0)
        cu.load("delete system root-authentication", format="set")
        with pytest.raises(ez.CommitError):
            cu.commit()
        cu.rollback(0)
        with PyEZDevice(**at(routers, 2)) as other:
            Config(other).lock()
            with pytest.raises(ez.LockError):
                cu.lock()


def test_connect_errors(Dev, routers):
    with pytest.raises(ez.ConnectAuthError):
        Dev(**at(routers, 0, passwd="wrong")).open()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(ez.ConnectRefusedError):
        Dev(host="127.0.0.1", port=closed, user="lab", passwd=PASSWORD).open()
    with pytest.raises(ez.ConnectUnknownHostError):
        Dev(host="no-such-router.invalid", user="lab", passwd=PASSWORD).open()


# ---------------------------------------------------------------------------------------
# netpool.pyez's own
# ---------------------------------------------------------------------------------------


def device_stats(fleet: Fleet, i: int) -> Dict[str, int]:
    return shared_stats(npyez.stats(), fleet.hosts[i])


def test_open_reuses_a_pooled_session(routers):
    with npyez.Device(**at(routers, 0)) as dev:
        assert dev.facts["hostname"] == "r1"
    before, facts_before = device_stats(routers, 0), npyez.stats()["facts"]
    for _ in range(10):
        with npyez.Device(**at(routers, 0)) as dev:
            assert dev.facts["hostname"] == "r1"
    after, facts_after = device_stats(routers, 0), npyez.stats()["facts"]
    assert after["connects"] == before["connects"], (before, after)
    assert after["netconf_opened"] == before["netconf_opened"], (before, after)
    assert after["reused"] - before["reused"] == 10, (before, after)
    assert after["in_use"] == 0, after
    # Facts gathered once, then known to every later Device of the router.
    assert facts_after["hits"] - facts_before["hits"] == 10, (facts_before, facts_after)


def test_a_load_left_by_one_device_is_gone_for_the_next(routers):
    with npyez.Device(**at(routers, 1)) as dev:
        before = device_stats(routers, 1)["netconf_opened"]
        cu = Config(dev)
        cu.lock()
        cu.load('set interfaces ge-0/0/8 description "left behind"', format="set")
        assert "left behind" in (cu.diff() or "")
    with npyez.Device(**at(routers, 1)) as dev:
        cu = Config(dev)
        assert cu.diff() is None
        cu.lock()  # the lock went with the reset
        cu.unlock()
    # Reset, not replaced: the same session served the second Device.
    assert device_stats(routers, 1)["netconf_opened"] == before


def test_facts_are_shared_until_a_commit(routers):
    with npyez.Device(**at(routers, 2)) as dev:
        assert dev.facts["hostname"] == "r3"
    with npyez.Device(**at(routers, 2)) as dev:
        with Config(dev) as cu:
            cu.load("set system host-name r3-renamed", format="set")
            cu.commit()
    with npyez.Device(**at(routers, 2)) as dev:
        assert dev.facts["hostname"] == "r3-renamed"
        with Config(dev) as cu:
            cu.load("set system host-name r3", format="set")
            cu.commit()


def test_32_threads_share_one_pool(routers):
    errors: List[BaseException] = []
    seen: List[str] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        try:
            for _ in range(5):
                with npyez.Device(**at(routers, k % 3)) as dev:
                    name = dev.rpc.get_software_information().findtext(".//host-name")
                    with lock:
                        seen.append(name)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors[:3]
    assert len(seen) == 160
    assert set(seen) == {"r1", "r2", "r3"}
    for i in range(3):
        assert device_stats(routers, i)["in_use"] == 0


def test_asyncio_server_through_to_thread_never_holds_the_loop(vmx_fleet):
    host, port = vmx_fleet.hosts[0]

    def tool() -> str:
        with npyez.Device(host=host, port=port, user="lab", passwd=PASSWORD) as dev:
            return dev.cli("show version", warning=False)

    async def main() -> None:
        async def batch() -> None:
            outs = await asyncio.gather(*(asyncio.to_thread(tool) for _ in range(8)))
            assert all("Hostname: r1" in o for o in outs)

        t = await under_ticker(batch)
        t.check()

    asyncio.run(main())


def test_a_router_dying_mid_call_raises_and_leaks_nothing(lone_router):
    host, port = lone_router.hosts[0]
    dev = npyez.Device(host=host, port=port, user="lab", passwd=PASSWORD).open()
    result: List[BaseException] = []

    def slow() -> None:
        try:
            for _ in range(200):
                dev.rpc.get_route_information()
        except BaseException as e:  # noqa: BLE001 - the point of the test
            result.append(e)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    lone_router.kill()
    t.join(30)
    assert not t.is_alive(), "the caller hung"
    # As PyEZ: ncclient's transport error becomes ConnectClosedError, and the Device
    # knows it is closed.
    assert result and isinstance(result[0], ez.ConnectClosedError), result
    assert dev.connected is False
    dev.close()
    with pytest.raises(ez.ConnectError):
        npyez.Device(host=host, port=port, user="lab", passwd=PASSWORD).open()
    assert all(s["in_use"] == 0 for s in npyez.stats()["devices"])


def test_configure_names_a_bad_setting_and_refuses_once_running(routers):
    with pytest.raises(netpool.ConfigError, match="checkout_timeout"):
        npyez.configure(checkout_timeout="soon")
    with pytest.raises(netpool.ConfigError, match="frobnicate"):
        npyez.configure(frobnicate=1)
    with npyez.Device(**at(routers, 0)):
        pass
    with pytest.raises(netpool.ConfigError, match="after the first open"):
        npyez.configure(rpc_timeout=5)


def test_an_rpc_timeout_is_pyezs_and_a_clean_device_carries_on(lone_router):
    """The router stops answering (its process frozen by SIGSTOP) past dev.timeout: PyEZ's
    RpcTimeoutError. The lost session held nothing, so the Device goes on with another one;
    one that held the lock is closed instead, as the lock went with its session."""
    import signal

    host, port = lone_router.hosts[0]
    pid = lone_router.proc.pid
    with npyez.Device(host=host, port=port, user="lab", passwd=PASSWORD) as dev:
        dev.timeout = 1
        os.kill(pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            with pytest.raises(ez.RpcTimeoutError):
                dev.rpc.get_software_information()
            assert time.monotonic() - t0 < 5
        finally:
            os.kill(pid, signal.SIGCONT)
        assert dev.connected is True
        assert dev.rpc.get_software_information().findtext(".//host-name") == "r1"
        Config(dev).lock()
        os.kill(pid, signal.SIGSTOP)
        try:
            with pytest.raises(ez.RpcTimeoutError):
                dev.rpc.get_software_information()
        finally:
            os.kill(pid, signal.SIGCONT)
        assert dev.connected is False
        with pytest.raises(ez.ConnectClosedError):
            dev.rpc.get_software_information()
    # The lock went with its session: a new Device can take it.
    with npyez.Device(host=host, port=port, user="lab", passwd=PASSWORD) as dev:
        cu = Config(dev)
        cu.lock()
        cu.unlock()
    assert all(s["in_use"] == 0 for s in npyez.stats()["devices"])
