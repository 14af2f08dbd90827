"""The published benchmark's workload with Juniper PyEZ, unmodified: the seed workload
(7 commands on each router) run per call (open, cli, close for every command), pooled
sequentially (one open session per router, commands one after the other) and pooled in
parallel (one open session per router, one thread per router). Prints one JSON line:
seconds in total and per operation for each mode, and the pooled sequential seconds of
each command summed over the routers (the published benchmark's per-command rows).

argv: user password host:port [host:port ...]; the commands in NETLAB_SEED_COMMANDS (JSON).
With NETLAB_PYEZ_PER_CALL_ONLY set, only the per-call mode runs."""
import json
import os
import sys
import threading
import time

from jnpr.junos import Device

# The seed workload's commands, from the caller (netlab calibrate passes junos-sim's own
# list, so that it is written once).
COMMANDS = json.loads(os.environ["NETLAB_SEED_COMMANDS"])
user, password = sys.argv[1], sys.argv[2]
targets = [(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])) for t in sys.argv[3:]]
# Router by router, its 7 commands in turn. The order matters to PyEZ: ncclient's session
# thread sends a request only when its 0.1 s select tick ends, so a router asked again
# right after its reply waits about a whole tick (0.092 s a pooled command here), and one
# idle since an earlier round about half (0.040 s; the published benchmark goes command by
# command, but through an MCP server whose own cost this script does not have: see
# simulator/src/profile.rs).
ops = [(t, c) for t in targets for c in COMMANDS]


def device(t):
    return Device(host=t[0], port=t[1], user=user, passwd=password, gather_facts=False,
                  look_for_keys=False, allow_agent=False)


def run(cmd_dev, c):
    out = cmd_dev.cli(c, warning=False)
    if not out or not out.strip():
        raise RuntimeError("empty reply to %r" % c)


result = {"ops": len(ops)}

start = time.monotonic()
for t, c in ops:
    d = device(t)
    d.open()
    run(d, c)
    d.close()
result["per_call_s"] = time.monotonic() - start
result["per_call_per_op_s"] = result["per_call_s"] / len(ops)
if os.environ.get("NETLAB_PYEZ_PER_CALL_ONLY"):
    result["errors"] = []
    print(json.dumps(result))
    sys.exit(0)

devs = {t: device(t) for t in targets}
start = time.monotonic()
for d in devs.values():
    d.open()
result["open_all_s"] = time.monotonic() - start
by_command = {c: 0.0 for c in COMMANDS}
start = time.monotonic()
for t, c in ops:
    began = time.monotonic()
    run(devs[t], c)
    by_command[c] += time.monotonic() - began
result["pooled_seq_s"] = time.monotonic() - start
result["pooled_seq_by_command_s"] = by_command

errors = []


def worker(t):
    try:
        for c in COMMANDS:
            run(devs[t], c)
    except Exception as e:  # reported, never swallowed
        errors.append(repr(e))


start = time.monotonic()
threads = [threading.Thread(target=worker, args=(t,)) for t in targets]
for th in threads:
    th.start()
for th in threads:
    th.join()
result["pooled_par_s"] = time.monotonic() - start
for d in devs.values():
    d.close()
result["errors"] = errors
for k in ("per_call_s", "pooled_seq_s", "pooled_par_s"):
    result[k[:-2] + "_per_op_s"] = result[k] / len(ops)
print(json.dumps(result))
