"""A storm of unmodified PyEZ clients: N threads released at once, each opening its own
session (Device.open), running one RPC and closing. Prints one JSON line: how many
succeeded, how many failed and the first few failures (type and message).

argv: host port user password n"""
import json
import sys
import threading
import time

from jnpr.junos import Device

host, port, user, password, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
start = threading.Barrier(n)
lock = threading.Lock()
ok, failures, hostnames = [], [], set()


def client(i):
    start.wait()
    t = time.monotonic()
    try:
        dev = Device(host=host, port=port, user=user, passwd=password, gather_facts=False,
                     look_for_keys=False, allow_agent=False, conn_open_timeout=60)
        dev.open()
        reply = dev.rpc.get_software_information()
        name = reply.findtext(".//host-name")
        dev.close()
        with lock:
            ok.append(time.monotonic() - t)
            hostnames.add(name)
    except Exception as e:  # counted and reported, never swallowed
        with lock:
            failures.append("%s: %s" % (type(e).__name__, str(e)[:160]))


threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
t0 = time.monotonic()
for th in threads:
    th.start()
for th in threads:
    th.join()
print(json.dumps({
    "ok": len(ok), "failed": len(failures), "failures": failures[:5],
    "hostnames": sorted(h for h in hostnames if h), "wall_s": time.monotonic() - t0,
    "slowest_s": max(ok) if ok else None,
}))
