"""Juniper PyEZ, unmodified, on the configuration paths Junos users rely on: a refused load,
rollback, rescue save / reload, commit confirmed that expires and one that is confirmed,
private mode, and RPC arguments (interface-name filter). Prints one JSON line.

argv: host port user password confirm_wait_seconds
(the simulator under test runs its `confirm-timeout` minutes this many seconds long)."""
import json
import sys
import time

from jnpr.junos import Device
from jnpr.junos.exception import ConfigLoadError, RpcError
from jnpr.junos.utils.config import Config

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
confirm_wait = float(sys.argv[5])
out = {}
dev = Device(host=host, port=port, user=user, passwd=password, gather_facts=False,
             look_for_keys=False, allow_agent=False)
dev.open()


def host_name():
    cfg = dev.rpc.get_config(filter_xml="<system><host-name/></system>", options={"database": "committed"})
    return cfg.findtext(".//host-name")


# RPC arguments: one interface, a wildcard, a level.
one = dev.rpc.get_interface_information(terse=True, interface_name="ge-0/0/0")
out["one_interface"] = [e.text.strip() for e in one.findall(".//physical-interface/name")]
ge = dev.rpc.get_interface_information(interface_name="ge-*")
out["ge_interfaces"] = [e.text.strip() for e in ge.findall(".//physical-interface/name")]

with Config(dev, mode="exclusive") as cu:
    # A load Junos refuses: PyEZ raises ConfigLoadError from the nested rpc-error.
    try:
        cu.load("set system foo bar", format="set")
        out["bad_load"] = "accepted"
    except ConfigLoadError as e:
        out["bad_load"] = "ConfigLoadError: " + str(e.errs[0]["bad_element"])
    cu.rollback()  # rollback 0: drop whatever the refused load left
    out["diff_after_rollback0"] = cu.diff()

    cu.load("set system host-name first", format="set")
    out["commit_check"] = cu.commit_check()
    cu.commit(comment="first")
    cu.load("set system host-name second", format="set")
    cu.commit(comment="second")
    # Rollback 1 brings "first" back.
    cu.rollback(1)
    out["rollback_diff"] = (cu.diff() or "").strip()
    cu.commit(comment="rolled back")
    out["after_rollback"] = host_name()

    # Rescue: save "first", change, reload the rescue.
    out["rescue_save"] = cu.rescue("save")
    out["rescue_get"] = (cu.rescue("get") or "").count("host-name first")
    cu.load("set system host-name third", format="set")
    cu.commit()
    out["rescue_reload"] = cu.rescue("reload") is not False
    cu.commit()
    out["after_rescue"] = host_name()

    # Commit confirmed that nobody confirms: Junos rolls it back by itself.
    cu.load("set system host-name tentative", format="set")
    cu.commit(confirm=1)
    out["during_confirm"] = host_name()
    time.sleep(confirm_wait * 1.5 + 0.5)
    out["after_expiry"] = host_name()
    # Commit confirmed, then confirmed by a plain commit: it stays.
    cu.load("set system host-name confirmed", format="set")
    cu.commit(confirm=1)
    cu.commit()
    time.sleep(confirm_wait * 1.5 + 0.5)
    out["after_confirm"] = host_name()

# Private mode: its own candidate, committed on its own.
with Config(dev, mode="private") as cu:
    cu.load("set system host-name private", format="set")
    out["private_diff"] = (cu.diff() or "").strip()
    cu.commit()
out["after_private"] = host_name()

# Private mode is refused while the shared candidate has uncommitted changes.
shared = Config(dev)
shared.load("set system location building b1", format="set")
try:
    with Config(dev, mode="private"):
        out["private_while_dirty"] = "opened"
except RpcError as e:
    out["private_while_dirty"] = str(e)
shared.rollback()

dev.close()
print(json.dumps(out))
