"""Hostile clients against `netlab proxy`, one probe after another, each followed by a
healthy client's RPC; prints a line a probe: how long it took, the proxy's RSS and peak
RSS (KiB), whether the healthy client was answered and the proxy still runs, and what the
hostile client saw. Exploratory (it judges nothing): docs/hardening.md
quotes a run. It starts a one-router `netlab sim` and the proxy in front of it.

    python tools/hostile-probe.py [NAME-FRAGMENT ...]     # all probes, or those named

Needs paramiko (tests/interop/requirements.txt) and a netlab binary (NETLAB_BIN, else
debug/netlab of CARGO_TARGET_DIR, else of target/).
"""
import os, socket, subprocess, sys, tempfile, time
import paramiko

NETLAB = os.environ.get("NETLAB_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR") or "target", "debug", "netlab")
os.environ["NETLAB_SIM_PASSWORD"] = "lab123"
os.environ["NETLAB_PROXY_PASSWORD"] = "proxy-pw"
d = tempfile.mkdtemp()
sim = subprocess.Popen([NETLAB, "sim", "--routers", "1", "--listen", "127.81.0.1", "--ports", "0",
                        "--inventory-out", f"{d}/f.toml"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
for line in sim.stdout:
    if line.startswith("serving"):
        break
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
px = subprocess.Popen([NETLAB, "proxy", "--inventory", f"{d}/f.toml", "--first-port", str(port),
                       "--host-key", f"{d}/hk", "--client-idle-timeout", "20"],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
deadline = time.time() + 20
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close(); break
    except OSError:
        time.sleep(0.1)
time.sleep(0.5)


def rss():
    out = {}
    for l in open(f"/proc/{px.pid}/status"):
        if l.startswith(("VmRSS", "VmHWM")):
            k, v = l.split(":"); out[k] = int(v.split()[0])
    return out


HELLO10 = b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>'
HELLO11 = b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>'


def chan():
    t = paramiko.Transport(("127.0.0.1", port))
    t.connect(username="lab", password="proxy-pw")
    c = t.open_session()
    c.invoke_subsystem("netconf")
    c.settimeout(10)
    return t, c


def read_until(c, marker=b"]]>]]>", limit=5.0):
    buf = b""; end = time.time() + limit
    while time.time() < end:
        try:
            x = c.recv(65536)
        except socket.timeout:
            break
        if not x:
            return buf, "closed"
        buf += x
        if marker in buf:
            return buf, "marker"
    return buf, "timeout"


def healthy():
    t, c = chan()
    hello, _ = read_until(c)
    c.sendall(HELLO10)
    if b"base:1.1" in hello and b"base:1.0" not in hello:
        pass
    c.sendall(b'<rpc message-id="h"><get-software-information/></rpc>]]>]]>')
    r, how = read_until(c)
    t.close()
    return b"host-name" in r


def probe(name, fn):
    before = rss()
    t0 = time.time()
    try:
        res = fn()
    except Exception as e:  # noqa
        res = f"exception {type(e).__name__}: {e}"
    took = time.time() - t0
    after = rss()
    ok = healthy()
    print(f"{name:40s} {took:6.2f}s  rss {before['VmRSS']}->{after['VmRSS']} KiB hwm {after['VmHWM']}  "
          f"healthy={ok}  proxy_alive={px.poll() is None}  -> {str(res)[:200]}", flush=True)


def oversize_eom():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    blob = b"a" * (1 << 20)
    sent = 0
    try:
        for _ in range(24):
            c.sendall(blob); sent += len(blob)
    except Exception as e:
        return f"send stopped after {sent>>20} MiB: {e}"
    r, how = read_until(c, limit=5)
    t.close()
    return f"sent 24 MiB; {how}: {r[:150]!r}"


def oversize_delimited():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    c.sendall(b'<rpc message-id="1"><get-software-information>' + b"<a/>" * (17 << 18) + b"</get-software-information></rpc>]]>]]>")
    r, how = read_until(c, limit=10)
    t.close()
    return f"{how}: {r[:200]!r}"


def near_cap_text():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    body = b"x" * (15 << 20)
    c.sendall(b'<rpc message-id="1"><load-configuration action="set" format="text"><configuration-set>set system host-name ' + body + b'</configuration-set></load-configuration></rpc>]]>]]>')
    t0 = time.time()
    r, how = read_until(c, limit=70)
    t.close()
    return f"{how} after {time.time()-t0:.1f}s: {len(r)} bytes: {r[:100]!r}"


def entity_bomb():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    c.sendall(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rpc message-id="1"><get-software-information>&b;</get-software-information></rpc>]]>]]>')
    r, how = read_until(c); t.close(); return f"{how}: {r[:200]!r}"


def deep():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    c.sendall(b'<rpc message-id="1">' + b"<a>" * 200000 + b"</a>" * 200000 + b"</rpc>]]>]]>")
    r, how = read_until(c); t.close(); return f"{how}: {r[:200]!r}"


def many_attrs():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    c.sendall(b'<rpc message-id="1" ' + b" ".join(b'a%d="x"' % i for i in range(300000)) + b'><get-software-information/></rpc>]]>]]>')
    r, how = read_until(c); t.close(); return f"{how}: {r[:200]!r}"


def not_utf8():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    c.sendall(b'<rpc message-id="1"><get-software-information>\xff\xfe\xc3</get-software-information></rpc>]]>]]>')
    r, how = read_until(c); t.close(); return f"{how}: {r[:200]!r}"


def chunk_overflow():
    t, c = chan(); h, _ = read_until(c); c.sendall(HELLO11)
    c.sendall(b"\n#18446744073709551617\n<rpc/>")
    r, how = read_until(c, marker=b"</rpc-reply>"); t.close(); return f"offered 1.1={b'base:1.1' in h}; {how}: {r[:200]!r}"


def hidden_rpc():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    c.sendall(b'<rpc message-id="1"><get-software-information/><!-- ]]>]]><rpc message-id="2"><lock><target><candidate/></target></lock></rpc> --></rpc>]]>]]>')
    r, how = read_until(c, limit=3); r2, how2 = read_until(c, limit=2); t.close(); return f"{how}/{how2}: {(r+r2)[:300]!r}"


def pipeline_no_read():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    msg = b'<rpc message-id="p"><get-route-information/></rpc>]]>]]>'
    c.settimeout(5)
    n = 0
    try:
        for _ in range(3000):
            c.sendall(msg); n += 1
    except Exception as e:
        return f"blocked after {n}: {e}"
    time.sleep(3)
    t.close(); return f"sent {n} without reading"


def auth_brute():
    t = paramiko.Transport(("127.0.0.1", port)); t.start_client()
    n = 0
    for i in range(30):
        try:
            t.auth_password("lab", f"wrong{i}"); 
        except paramiko.AuthenticationException:
            n += 1
        except Exception as e:
            return f"cut after {n} failures: {type(e).__name__}"
    return f"{n} failures accepted on one connection"


def channels():
    t = paramiko.Transport(("127.0.0.1", port)); t.connect(username="lab", password="proxy-pw")
    held = []  # a paramiko channel that is garbage-collected closes itself
    try:
        for _ in range(200):
            c = t.open_session(timeout=5); c.invoke_subsystem("netconf"); held.append(c)
    except Exception as e:
        t.close()
        return f"refused after {len(held)}: {type(e).__name__} {e}"
    t.close()
    return f"{len(held)} netconf channels open on one connection"


def rpc_before_hello():
    t, c = chan(); read_until(c)
    c.sendall(b'<rpc message-id="1"><get-software-information/></rpc>]]>]]>')
    r, how = read_until(c); t.close(); return f"{how}: {r[:200]!r}"


def idle_after_auth():
    t, c = chan(); read_until(c)
    r, how = read_until(c, limit=30); t.close(); return f"{how} after silence"


def kill_bad_ids():
    t, c = chan(); read_until(c); c.sendall(HELLO10)
    out = []
    for sid in (b"0", b"-1", b"99999999999999999999", b"abc", b""):
        c.sendall(b'<rpc message-id="k"><kill-session><session-id>' + sid + b'</session-id></kill-session></rpc>]]>]]>')
        r, how = read_until(c); out.append(r[r.find(b"<error-message>"):][:60])
    t.close(); return out


for name, fn in [("rpc before hello", rpc_before_hello), ("entity bomb", entity_bomb), ("deep nesting", deep),
                 ("many attributes", many_attrs), ("not utf-8", not_utf8), ("chunk size overflow", chunk_overflow),
                 ("hidden rpc", hidden_rpc), ("kill bad ids", kill_bad_ids), ("auth brute force", auth_brute),
                 ("200 channels", channels), ("pipeline without reading", pipeline_no_read),
                 ("oversize, no delimiter", oversize_eom), ("oversize, delimited", oversize_delimited),
                 ("15 MiB text load", near_cap_text), ("idle after auth", idle_after_auth)]:
    if len(sys.argv) > 1 and not any(a in name for a in sys.argv[1:]):
        continue
    probe(name, fn)
px.terminate(); sim.terminate()
print(px.communicate(timeout=10)[0][-3000:])
