"""The blocking API against simulated Junos routers: calls, sessions, configuration,
fan-out, settings, errors and secrets."""

from __future__ import annotations

import logging
import time

import pytest

import netpool
from conftest import PASSWORD, held, wait_until


@pytest.fixture
def pool(fleet):
    p = netpool.Pool(inventory=fleet.inventory)
    yield p
    p.close()


def test_cli_rpc_and_command_by_inventory_name(pool):
    r = pool.cli("r1", "show version")
    assert isinstance(r, netpool.ExecResult)
    assert "Junos" in r.stdout and r.status in (0, None) and r.ok
    reply = pool.rpc("r1", "<get-software-information/>")
    assert "<software-information" in reply and "host-name" in reply
    text = pool.command("r2", "show chassis hardware")
    assert "Chassis" in text
    xml = pool.command("r2", "show version", format="xml")
    assert "software-information" in xml
    assert [d.name for d in pool.devices] == ["r1", "r2", "r3", "r4"]
    assert held(pool) == 0


def test_sessions_are_reused(pool):
    for _ in range(20):
        pool.command("r1", "show ospf neighbor")
    s = {x["device"]: x for x in pool.stats()}
    r1 = next(v for k, v in s.items() if k.endswith(pool.devices[0].label.split("@")[1]))
    assert r1["netconf_opened"] == 1, r1
    assert r1["connects"] == 1, r1
    assert r1["reused"] >= 19


def test_netconf_session_context(pool):
    with pool.netconf("r3") as nc:
        assert nc.session_id is not None
        assert any("urn:ietf:params:netconf:base:1.0" in c for c in nc.capabilities)
        a = nc.command("show version")
        b = nc.rpc("<get-chassis-inventory/>")
        assert "Junos" in a and "chassis" in b
        assert held(pool) == 1
    assert held(pool) == 0
    # a released session refuses further calls, naming the problem
    with pytest.raises(netpool.PoolClosed, match="closed"):
        nc.rpc("<get-software-information/>")


def test_rpc_error_carries_every_error(pool):
    with pytest.raises(netpool.RpcError) as ei:
        pool.rpc("r1", "<get-no-such-information/>")
    e = ei.value
    assert e.device and e.device.startswith("lab@") and e.stage == "rpc"
    assert e.errors and e.errors[0].severity == "error" and e.errors[0].tag
    assert e.device in str(e) and "rpc" in str(e)
    assert held(pool) == 0
    # A reply with two errors (Junos's commit of a candidate without a mandatory statement):
    # both, in order, each with its own fields.
    with pool.netconf("r1") as nc:
        nc.load("delete system root-authentication")
        with pytest.raises(netpool.RpcError) as ei:
            nc.commit()
        nc.discard_changes()
    errs = ei.value.errors
    assert len(errs) == 2, errs
    assert errs[0].message == "Missing mandatory statement: 'root-authentication'", errs
    assert errs[0].path == "[edit system]" and errs[0].bad_element == "system", errs
    assert errs[1].message == "configuration check-out failed: (missing mandatory statements)", errs
    assert errs[1].path is None and all(x.severity == "error" for x in errs), errs
    # the session stays usable
    assert "Junos" in pool.command("r1", "show version")


def locks_and_candidate(fleet, name: str) -> tuple:
    """From a pool of its own (another SSH connection, another session): whether the
    configuration can be locked, and the candidate as that session sees it."""
    with netpool.Pool(inventory=fleet.inventory) as other, other.netconf(name) as nc:
        candidate = nc.get_config("candidate")
        try:
            nc.lock()
        except netpool.RpcError as e:
            return False, candidate, e
        nc.unlock()
        return True, candidate, None


def test_configure_commits_and_a_refused_change_leaves_nothing(pool, fleet):
    pool.configure("r4", 'set interfaces ge-0/0/1 description "set-by-python"', comment="py test")
    with pool.netconf("r4") as nc:
        running = nc.get_config("running")
    assert "set-by-python" in running
    # A load that is refused: its valid line reaches the candidate, as on Junos (a set load
    # applies its lines one by one); configure must discard it, so nothing of it may stay.
    with pytest.raises(netpool.RpcError) as ei:
        pool.configure("r4", "set interfaces ge-0/0/1 no-such-knob 7\nset interfaces ge-0/0/2 description refused")
    assert ei.value.errors
    assert held(pool) == 0
    lockable, candidate, why = locks_and_candidate(fleet, "r4")
    assert lockable, why
    assert "refused" not in candidate
    # A load that succeeds and a commit that fails: configure must discard and unlock, and a
    # second session then sees a clean candidate and no lock.
    with pytest.raises(netpool.RpcError, match="root-authentication"):
        pool.configure("r4", 'delete system root-authentication\nset interfaces ge-0/0/2 description "commit-refused"')
    assert held(pool) == 0
    lockable, candidate, why = locks_and_candidate(fleet, "r4")
    assert lockable, f"configure left the configuration locked after a failed commit: {why}"
    assert "commit-refused" not in candidate and "root-authentication" in candidate, candidate[:500]
    with pool.netconf("r4") as nc:
        assert "commit-refused" not in nc.get_config("running")
    with pytest.raises(netpool.ConfigError, match="format"):
        pool.configure("r4", "x", format="yaml")


def test_lock_load_commit_on_a_session(pool):
    with pool.netconf("r2") as nc:
        nc.lock()
        nc.load('interfaces { ge-0/0/3 { description "by-text"; } }', format="text")
        nc.commit_check()
        nc.commit(comment="text load")
        nc.unlock()
    assert "by-text" in pool.rpc("r2", "<get-configuration/>")


def test_a_session_left_dirty_is_closed_not_lent_again(pool):
    with pool.netconf("r1") as nc:
        nc.load("set system host-name dirty")
    s = pool.stats()
    assert sum(x["discarded"].get("DirtyCandidate", 0) for x in s) == 1
    with pool.netconf("r1") as nc:
        assert "dirty" not in nc.get_config("candidate")


def test_fan_out_over_every_device(pool, fleet):
    out = pool.fan_out("show version")
    assert sorted(out) == fleet.names
    assert all(isinstance(v, netpool.ExecResult) and "Junos" in v.stdout for v in out.values())
    out = pool.fan_out("show ospf neighbor", ["r1", "r2"], transport="netconf")
    assert set(out) == {"r1", "r2"} and all(isinstance(v, str) for v in out.values())
    out = pool.fan_out_rpc("<get-software-information/>", ["r3"])
    assert "software-information" in out["r3"]


def test_fan_out_reports_a_dead_device_without_failing_the_rest(fleet, blackhole):
    dead = netpool.Device("127.0.0.1", "lab", password=PASSWORD, port=1, name="dead")
    with netpool.Pool(inventory=fleet.inventory, devices=[dead]) as p:
        out = p.fan_out("show version", ["r1", "dead", "r2"])
        assert isinstance(out["dead"], netpool.ConnectRefused)
        assert isinstance(out["r1"], netpool.ExecResult) and isinstance(out["r2"], netpool.ExecResult)


def test_settings_are_validated_by_name():
    with pytest.raises(ValueError) as ei:
        netpool.Pool(checkout_timeout="5 parsecs")
    assert isinstance(ei.value, netpool.ConfigError)
    assert ei.value.setting == "checkout_timeout" and "checkout_timeout" in str(ei.value)
    with pytest.raises(netpool.ConfigError, match="channels_per_connection"):
        netpool.Pool(channels_per_connection=0)
    with pytest.raises(netpool.ConfigError, match="keepalive_count_max"):
        netpool.ConnectionPool("127.0.0.1", "lab", password="x", keepalive_count_max=0)
    with pytest.raises(netpool.ConfigError, match="rpc_timeout"):
        netpool.Pool(rpc_timeout=-1)
    with pytest.raises(TypeError, match="max_conections_per_device"):
        netpool.Pool(max_conections_per_device=2)
    p = netpool.Pool(rpc_timeout=0.25, idle_timeout=None, keepalive_interval="5s", netconf_1_1=False)
    p.close()
    assert p.closed
    assert "checkout_timeout" in netpool.SETTINGS


def test_inventory_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[device]]\nname = "r1"\nhots = "h"\n')
    with pytest.raises(netpool.ConfigError, match="bad.toml"):
        netpool.Pool(inventory=str(bad))
    with pytest.raises(KeyError, match="r9"):
        netpool.Pool(inventory=None).cli("r9", "show version")


def test_wrong_password_is_an_authentication_error_without_the_secret(fleet, caplog):
    secret = "s3cr3t-Wrong-Pw-481"
    host, port = fleet.hosts[0]
    caplog.set_level(logging.DEBUG, logger="netpool")
    d = netpool.Device(host, "lab", password=secret, port=port)
    assert secret not in repr(d)
    p = netpool.Pool(devices=[d], host_key_policy="insecure-accept-any")
    with pytest.raises(netpool.AuthenticationError) as ei:
        p.cli(d, "show version")
    e = ei.value
    assert e.stage == "auth" and e.device == d.label and d.label in str(e)
    assert secret not in str(e) and secret not in repr(e) and secret not in repr(p)
    # Records reach logging from netpool's delivery thread: wait for the one about this failure,
    # so that the check below runs over records that exist.
    wait_until(lambda: any(d.label in r.getMessage() for r in caplog.records), what="a log record naming the device")
    assert all(secret not in r.getMessage() for r in caplog.records)
    assert held(p) == 0
    p.close()


def test_host_keys_are_verified_by_default(fleet, tmp_path):
    host, port = fleet.hosts[0]
    d = netpool.Device(host, "lab", password=PASSWORD, port=port)
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with netpool.Pool(devices=[d], known_hosts_file=str(empty)) as p:
        with pytest.raises(netpool.HostKeyError) as ei:
            p.cli(d, "show version")
        assert ei.value.stage == "host-key" and ei.value.fingerprint.startswith("SHA256:")
    pinned_wrong = netpool.Device(host, "lab", password=PASSWORD, port=port,
                                  host_keys=["SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
    with netpool.Pool(devices=[pinned_wrong]) as p:
        with pytest.raises(netpool.HostKeyError, match="mismatch"):
            p.cli(pinned_wrong, "show version")
    with pytest.raises(netpool.ConfigError, match="host_keys"):
        netpool.Device(host, "lab", password=PASSWORD, host_keys=["md5:00"])


def test_connect_errors_name_device_and_stage(blackhole):
    d = netpool.Device("127.0.0.1", "lab", password="x", port=blackhole.port)
    with netpool.Pool(devices=[d], connect_timeout=0.3, connect_retries=0) as p:
        t0 = time.monotonic()
        with pytest.raises(netpool.ConnectTimeout) as ei:
            p.cli(d, "show version")
        assert time.monotonic() - t0 < 3
        assert isinstance(ei.value, TimeoutError)
        assert ei.value.stage in ("tcp", "ssh-handshake") and d.label in str(ei.value)
        assert ei.value.stage in str(ei.value)


def test_circuit_breaker_fails_fast():
    d = netpool.Device("127.0.0.1", "lab", password="x", port=1)
    with netpool.Pool(devices=[d], breaker_threshold=2, connect_retries=0) as p:
        for _ in range(2):
            with pytest.raises(netpool.ConnectRefused):
                p.cli(d, "show version")
        with pytest.raises(netpool.CircuitOpen) as ei:
            p.cli(d, "show version")
        assert ei.value.failures == 2 and ei.value.retry_in > 0


def test_checkout_timeout_when_every_session_is_taken(fleet):
    with netpool.Pool(inventory=fleet.inventory, max_connections_per_device=1,
                      channels_per_connection=1, checkout_timeout=0.3) as p:
        with p.netconf("r1"):
            with pytest.raises(netpool.CheckoutTimeout) as ei:
                p.command("r1", "show version")
            assert ei.value.stage == "checkout" and isinstance(ei.value, TimeoutError)
        assert held(p) == 0
        assert "Junos" in p.command("r1", "show version")


def test_closed_pool_refuses_calls(fleet):
    p = netpool.Pool(inventory=fleet.inventory)
    p.cli("r1", "show version")
    p.close(grace=1.0)
    with pytest.raises(netpool.PoolClosed):
        p.cli("r1", "show version")


def test_connection_pool_hussh_shape(fleet):
    host, port = fleet.hosts[1]
    with netpool.ConnectionPool(host, "lab", password=PASSWORD, port=port, max_connections=2,
                                keepalive_interval=5, keepalive_count_max=2,
                                host_key_policy="insecure-accept-any") as cp:
        with cp.connection() as conn:
            r = conn.execute("show version")
            assert "Junos" in r.stdout and r.stderr == "" and r.status in (0, None)
        up = cp.execute("show system uptime").stdout
        assert up.startswith("Current time: ") and "System booted: " in up and " up " in up, up
        with cp.netconf() as nc:
            assert "Junos" in nc.command("show version")
        assert cp.stats()[0]["connections"] <= 2


def test_connection_connects_when_made(fleet):
    host, port = fleet.hosts[2]
    with pytest.raises(netpool.AuthenticationError):
        netpool.Connection(host, "lab", password="wrong", port=port, host_key_policy="insecure-accept-any")
    with netpool.Connection(host, "lab", password=PASSWORD, port=port, keepalive_interval=1,
                            keepalive_count_max=3, host_key_policy="insecure-accept-any") as c:
        assert "Junos" in c.execute("show version").stdout


def test_tracing_events_reach_logging(caplog):
    caplog.set_level(logging.DEBUG, logger="netpool")
    d = netpool.Device("127.0.0.1", "lab", password="x", port=1)
    with netpool.Pool(devices=[d], connect_retries=0) as p:
        with pytest.raises(netpool.ConnectRefused):
            p.cli(d, "show version")
    wait_until(lambda: any(r.name.startswith("netpool") and "127.0.0.1:1" in r.getMessage()
                           for r in caplog.records), what="a netpool log record")
