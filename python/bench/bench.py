"""``python python/bench/bench.py`` (not installed with the package): netpool from Python side by side with what Python users pick
today, in one run, against a simulated Junos fleet (``netlab sim``, started here).

On the ``instant`` profile (no artificial delay: the clients' own cost):

- ``per_call_ms``: connect, authenticate, one command, close;
- ``reused_exec_us``: one command on a connection already open;
- ``netconf_rpc_us``: one NETCONF RPC on a session already open;
- ``concurrent_ops_s``: 4 routers x 25 commands at once, repeated; with the p99 lateness of a
  10 ms ticker on the same event loop for the asyncio clients;
- ``rss``: the client's resident memory per SSH connection and per NETCONF session.

On the ``vmx`` profile, the published seed workload (5 routers x 7 commands): PyEZ per call,
PyEZ with one ``Device`` per router behind a lock (the published pool's design), netpool, and
PyEZ code on ``netpool.pyez.Device`` in turn and from threads (``bench_pyez``).

The clients: netpool (sync and asyncio), asyncssh, hussh, paramiko and PyEZ, each measured
only if it is installed (a missing one is reported, never silently left out; ``--require
asyncssh,hussh,paramiko,pyez`` makes a missing one an error). On ``vmx``, also 32 threads on one
sync pool with a pure-Python counter thread beside them (the GIL while netpool waits).
``--json FILE`` writes everything; the table goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import resource  # noqa: F401  (Linux: RSS is read from /proc)
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import netpool

PASSWORD = "lab123"
USER = "lab"
# The published seed workload (5 routers x these 7 commands, as in shared/design.md): the one
# list the simulator's vmx calibration and the Rust bench read too.
SEED = (Path(__file__).resolve().parents[2] / "simulator/src/commands/seed.txt").read_text().splitlines()
PUBLISHED = {"per_call_s": 24.48, "pooled_seq_s": 3.98, "pooled_par_s": 1.18}


def _find_netlab(explicit: Optional[str]) -> str:
    target = os.environ.get("CARGO_TARGET_DIR") or "target"
    built = [os.path.join(target, profile, "netlab") for profile in ("release", "debug")]
    for c in (explicit, os.environ.get("NETLAB_BIN"), *built, shutil.which("netlab")):
        if c and os.path.exists(c):
            return c
    sys.exit("bench.py: no netlab binary (cargo build --release -p netlab, or --netlab PATH)")


class Fleet:
    def __init__(self, netlab: str, routers: int, profile: str, listen: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="netpool-bench-")
        self.inventory = os.path.join(self.dir, "fleet.toml")
        self.proc = subprocess.Popen(
            [netlab, "sim", "--routers", str(routers), "--profile", profile, "--listen", listen, "--ports", "0",
             "--inventory-out", self.inventory],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "NETLAB_SIM_PASSWORD": PASSWORD},
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("serving"):
                break
        self.hosts: List[Tuple[str, int]] = []
        host = None
        for line in open(self.inventory):
            if line.startswith("host = "):
                host = line.split('"')[1]
            elif line.startswith("port = ") and host:
                self.hosts.append((host, int(line.split("=")[1])))
        self.pid = self.proc.pid

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _p(xs: List[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * q))] if s else float("nan")


def _timed(n: int, f: Callable[[], Any]) -> List[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return out


async def _atimed(n: int, f: Callable[[], Any]) -> List[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await f()
        out.append(time.perf_counter() - t)
    return out


class Probe:
    """A 10 ms ticker on the running loop: lateness of each tick, ms."""

    def __init__(self) -> None:
        self.late: List[float] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(0.01)
            self.late.append((loop.time() - t0 - 0.01) * 1000)


async def _waves(wave: Callable[[], List[Any]], window: float) -> Tuple[float, float]:
    """Waves of concurrent calls, one after another for `window` seconds after a warm-up
    wave, with the probe on the loop: (ops/s, probe p99 ms)."""
    await asyncio.gather(*wave())
    probe = Probe()
    t = asyncio.ensure_future(probe.run())
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < window:
        calls = wave()
        await asyncio.gather(*calls)
        n += len(calls)
    took = time.perf_counter() - t0
    t.cancel()
    return n / took, _p(probe.late, 0.99)


def _have(mod: str) -> bool:
    try:
        __import__(mod)
        return True
    except ImportError:
        return False


class Report:
    def __init__(self) -> None:
        self.rows: List[Dict[str, Any]] = []
        self.missing: List[str] = []

    def add(self, measure: str, client: str, value: float, unit: str, **extra: Any) -> None:
        row = {"measure": measure, "client": client, "value": value, "unit": unit, **extra}
        self.rows.append(row)
        more = "  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items())
        print(f"{measure:<18} {client:<28} {value:>12.3f} {unit:<7} {more}", flush=True)

    def latency(self, measure: str, client: str, lat: List[float], unit: str) -> None:
        """The median and p99 of ``lat`` (seconds), in ``unit`` (ms or us)."""
        scale = {"ms": 1e3, "us": 1e6}[unit]
        self.add(measure, client, statistics.median(lat) * scale, unit, p99=_p(lat, 0.99) * scale)


# ---------------------------------------------------------------- instant profile

def bench_instant(fleet: Fleet, rep: Report, quick: bool) -> None:
    host, port = fleet.hosts[0]
    n_call = 5 if quick else 20
    n_reuse = 100 if quick else 1000
    n_slow = 5 if quick else 20

    # per call: connect, authenticate, one command, close
    def np_call() -> None:
        with netpool.Connection(host, USER, password=PASSWORD, port=port, host_key_policy="insecure-accept-any") as c:
            c.execute("show version")
    lat = _timed(n_call, np_call)
    rep.latency("per_call_ms", "netpool Connection", lat, "ms")

    def asyncssh_calls(n: int) -> List[float]:
        import asyncssh

        async def call() -> None:
            async with asyncssh.connect(host, port, username=USER, password=PASSWORD, known_hosts=None) as c:
                await c.run("show version")
        return asyncio.run(_atimed(n, call))

    def paramiko_calls(n: int) -> List[float]:
        import paramiko

        def call() -> None:
            c = paramiko.SSHClient()
            c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            c.connect(host, port, USER, PASSWORD, look_for_keys=False, allow_agent=False)
            _, out, _ = c.exec_command("show version")
            out.read()
            c.close()
        return _timed(n, call)

    def hussh_calls(n: int) -> List[float]:
        import hussh

        def call() -> None:
            c = hussh.Connection(host, port=port, username=USER, password=PASSWORD)
            c.execute("show version")
            c.close()
        return _timed(n, call)

    def pyez() -> Any:
        from jnpr.junos import Device as PyezDevice

        return PyezDevice(host=host, port=port, user=USER, passwd=PASSWORD, gather_facts=False,
                          look_for_keys=False, allow_agent=False)

    def pyez_calls(n: int) -> List[float]:
        def call() -> None:
            d = pyez()
            d.open()
            d.cli("show version", warning=False)
            d.close()
        return _timed(n, call)

    # client, the module it needs, its name when missing, calls, the function
    for client, module, package, n, calls in [
        ("asyncssh", "asyncssh", "asyncssh", n_call, asyncssh_calls),
        ("paramiko", "paramiko", "paramiko", n_slow, paramiko_calls),
        ("hussh", "hussh", "hussh", n_slow, hussh_calls),
        ("PyEZ", "jnpr.junos", "PyEZ (junos-eznc)", 3 if quick else 8, pyez_calls),
    ]:
        if _have(module):
            rep.latency("per_call_ms", client, calls(n), "ms")
        else:
            rep.missing.append(package)

    # reused: one command on an open connection / session
    pool = netpool.Pool(inventory=fleet.inventory, max_connections_per_device=3)
    pool.cli("r1", "show version")
    lat = _timed(n_reuse, lambda: pool.cli("r1", "show version"))
    rep.latency("reused_exec_us", "netpool Pool.cli (sync)", lat, "us")

    apool = netpool.AsyncPool(inventory=fleet.inventory, max_connections_per_device=3)

    async def a_reuse() -> List[float]:
        await apool.cli("r1", "show version")
        return await _atimed(n_reuse, lambda: apool.cli("r1", "show version"))
    lat = asyncio.run(a_reuse())
    rep.latency("reused_exec_us", "netpool AsyncPool.cli", lat, "us")
    if _have("asyncssh"):
        import asyncssh

        async def as_reuse() -> List[float]:
            async with asyncssh.connect(host, port, username=USER, password=PASSWORD, known_hosts=None) as c:
                return await _atimed(n_reuse, lambda: c.run("show version"))
        lat = asyncio.run(as_reuse())
        rep.latency("reused_exec_us", "asyncssh", lat, "us")
    if _have("hussh"):
        import hussh
        hc = hussh.Connection(host, port=port, username=USER, password=PASSWORD)
        lat = _timed(n_slow, lambda: hc.execute("show version"))
        hc.close()
        rep.latency("reused_exec_us", "hussh (no TCP_NODELAY)", lat, "us")
    if _have("paramiko"):
        import paramiko
        pc = paramiko.SSHClient()
        pc.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        pc.connect(host, port, USER, PASSWORD, look_for_keys=False, allow_agent=False)

        def p_reuse() -> None:
            _, out, _ = pc.exec_command("show version")
            out.read()
        lat = _timed(n_slow, p_reuse)
        pc.close()
        rep.latency("reused_exec_us", "paramiko (no TCP_NODELAY)", lat, "us")

    # NETCONF RPC on an open session
    rpc = "<get-software-information/>"
    with pool.netconf("r2") as nc:
        nc.rpc(rpc)
        lat = _timed(n_reuse, lambda: nc.rpc(rpc))
    rep.latency("netconf_rpc_us", "netpool NetconfSession.rpc", lat, "us")
    lat = _timed(n_reuse, lambda: pool.rpc("r2", rpc))
    rep.latency("netconf_rpc_us", "netpool Pool.rpc (checkout)", lat, "us")

    async def a_rpc() -> List[float]:
        async with apool.netconf("r2") as anc:
            await anc.rpc(rpc)
            return await _atimed(n_reuse, lambda: anc.rpc(rpc))
    lat = asyncio.run(a_rpc())
    rep.latency("netconf_rpc_us", "netpool AsyncNetconfSession", lat, "us")
    if _have("jnpr.junos"):
        d = pyez()
        d.open()
        d.rpc.get_software_information()
        lat = _timed(3 if quick else 10, lambda: d.rpc.get_software_information())
        d.close()
        rep.latency("netconf_rpc_us", "PyEZ Device.rpc", lat, "us")

    # 4 routers x 25 at once
    routers = ["r1", "r2", "r3", "r4"]
    # Waves of 100 for a fixed window, so that the probe's p99 rests on enough ticks.
    window = 0.5 if quick else 3.0
    rounds = 5 if quick else 30

    async def np_conc() -> Tuple[float, float]:
        return await _waves(lambda: [apool.cli(r, "show version") for r in routers for _ in range(25)], window)
    ops, p99 = asyncio.run(np_conc())
    rep.add("concurrent_ops_s", "netpool AsyncPool.cli", ops, "ops/s", probe_p99_ms=p99, window_s=window)

    with concurrent.futures.ThreadPoolExecutor(100) as ex:
        list(ex.map(lambda r: pool.cli(r, "show version"), routers * 25))
        t0 = time.perf_counter()
        for _ in range(rounds):
            list(ex.map(lambda r: pool.cli(r, "show version"), routers * 25))
        took = time.perf_counter() - t0
    rep.add("concurrent_ops_s", "netpool Pool.cli (100 threads)", rounds * 100 / took, "ops/s")
    if _have("asyncssh"):
        import asyncssh

        async def as_conc() -> Tuple[float, float]:
            # 3 connections a router, as netpool's pool here: a Junos connection carries at
            # most 10 channels, so 25 at once need 3.
            per_router = [[await asyncssh.connect(h, p, username=USER, password=PASSWORD, known_hosts=None)
                           for _ in range(3)] for h, p in fleet.hosts[:4]]
            conns = [c for cs in per_router for c in cs]

            def wave() -> List[Any]:
                return [cs[i % 3].run("show version") for cs in per_router for i in range(25)]
            out = await _waves(wave, window)
            for c in conns:
                c.close()
            return out
        ops, p99 = asyncio.run(as_conc())
        rep.add("concurrent_ops_s", "asyncssh", ops, "ops/s", probe_p99_ms=p99, window_s=window)
    pool.close()

    # memory: RSS of this process per SSH connection, then per NETCONF session on them
    n_conn = 100 if quick else 200
    mpool = netpool.AsyncPool(inventory=fleet.inventory, max_connections_per_device=n_conn // 4,
                              channels_per_connection=10, max_sessions_total=4 * n_conn)

    async def mem() -> Tuple[float, float]:
        base = _rss_kib()
        await asyncio.gather(*(mpool.prewarm(r, n_conn // 4) for r in routers))
        conns = sum(s["connections"] for s in mpool.stats())
        after_conns = _rss_kib()
        sessions = [mpool.netconf(r) for r in routers for _ in range(n_conn // 4)]
        await asyncio.gather(*(s.open() for s in sessions))
        after_sessions = _rss_kib()
        await asyncio.gather(*(s.close() for s in sessions))
        await mpool.close()
        return (after_conns - base) / conns, (after_sessions - after_conns) / len(sessions)
    per_conn, per_sess = asyncio.run(mem())
    rep.add("rss_kib", "netpool per SSH connection", per_conn, "KiB", n=n_conn)
    rep.add("rss_kib", "netpool per NETCONF session", per_sess, "KiB", n=n_conn)


# ---------------------------------------------------------------- vmx: the seed workload

def bench_seed(fleet: Fleet, rep: Report) -> Dict[str, float]:
    ops = [(f"r{i + 1}", fleet.hosts[i], c) for i in range(len(fleet.hosts)) for c in SEED]
    out: Dict[str, float] = {}
    if _have("jnpr.junos"):
        from jnpr.junos import Device as PyezDevice

        def pyez(h: Tuple[str, int]) -> Any:
            return PyezDevice(host=h[0], port=h[1], user=USER, passwd=PASSWORD, gather_facts=False,
                              look_for_keys=False, allow_agent=False)
        t0 = time.perf_counter()
        for _, h, c in ops:
            d = pyez(h)
            d.open()
            d.cli(c, warning=False)
            d.close()
        out["pyez_per_call_s"] = time.perf_counter() - t0
        rep.add("seed_s", "PyEZ per call", out["pyez_per_call_s"], "s", ops=len(ops))
        # the published pool: one Device per router, behind a lock
        devs = {h: pyez(h) for h in fleet.hosts}
        locks = {h: threading.Lock() for h in fleet.hosts}
        for d in devs.values():
            d.open()

        def locked(h: Tuple[str, int], c: str) -> None:
            with locks[h]:
                devs[h].cli(c, warning=False)
        t0 = time.perf_counter()
        for _, h, c in ops:
            locked(h, c)
        out["pyez_lock_seq_s"] = time.perf_counter() - t0
        with concurrent.futures.ThreadPoolExecutor(len(ops)) as ex:
            t0 = time.perf_counter()
            list(ex.map(lambda o: locked(o[1], o[2]), ops))
            out["pyez_lock_par_s"] = time.perf_counter() - t0
        for d in devs.values():
            d.close()
        rep.add("seed_s", "PyEZ Device per router + lock, seq", out["pyez_lock_seq_s"], "s")
        rep.add("seed_s", "PyEZ Device per router + lock, par", out["pyez_lock_par_s"], "s")
    pool = netpool.Pool(inventory=fleet.inventory)
    for r in {o[0] for o in ops}:
        pool.command(r, "show version")
    t0 = time.perf_counter()
    for r, _, c in ops:
        pool.command(r, c)
    out["netpool_seq_s"] = time.perf_counter() - t0
    pool.close()
    rep.add("seed_s", "netpool Pool.command, seq", out["netpool_seq_s"], "s")
    apool = netpool.AsyncPool(inventory=fleet.inventory)

    async def par() -> float:
        await asyncio.gather(*(apool.command(r, "show version") for r in {o[0] for o in ops}))
        t = time.perf_counter()
        await asyncio.gather(*(apool.command(r, c) for r, _, c in ops))
        took = time.perf_counter() - t
        await apool.close()
        return took
    out["netpool_par_s"] = asyncio.run(par())
    rep.add("seed_s", "netpool AsyncPool.command, par", out["netpool_par_s"], "s")
    if _have("jnpr.junos"):
        from bench_pyez import bench_pyez_layer

        bench_pyez_layer(fleet.hosts, SEED, rep, out)
    base = out.get("pyez_per_call_s")
    if base:
        for k in list(out):
            if k != "pyez_per_call_s" and k.endswith("_s"):
                out[f"speedup_{k[:-2]}"] = base / out[k]
        print("speedup over PyEZ per call: " + ", ".join(
            f"{k[8:]} {v:.1f}x" for k, v in out.items() if k.startswith("speedup_")), flush=True)
    return out


CLIENTS = {"asyncssh": "asyncssh", "paramiko": "paramiko", "hussh": "hussh", "pyez": "jnpr.junos"}


def bench_threads(fleet: Fleet, rep: Report, quick: bool) -> Dict[str, float]:
    """32 threads x 10 commands on one sync pool (vmx timing), against 10 calls on one thread,
    and the rate of a pure-Python counter thread meanwhile, as a share of its idle rate: the
    GIL is free while netpool waits on the network (the tests keep only the last as a bound)."""
    import threading

    threads, calls = 32, 5 if quick else 10
    names = [f"r{i + 1}" for i in range(len(fleet.hosts))]
    stop = threading.Event()
    count = [0]

    def counter() -> None:
        while not stop.is_set():
            count[0] += 1

    def rate(seconds: float) -> float:
        n0, t0 = count[0], time.perf_counter()
        time.sleep(seconds)
        return (count[0] - n0) / (time.perf_counter() - t0)

    with netpool.Pool(inventory=fleet.inventory, max_connections_per_device=2) as p:
        def worker(i: int) -> None:
            for _ in range(calls):
                p.command(names[i % len(names)], "show ospf neighbor")

        def threaded() -> Tuple[float, List[float]]:
            ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
            rates: List[float] = []
            t0 = time.perf_counter()
            for t in ts:
                t.start()
            while any(t.is_alive() for t in ts):
                rates.append(rate(0.1))
            for t in ts:
                t.join()
            return time.perf_counter() - t0, rates

        threaded()  # opens the sessions (0.43 s each on vmx)
        t0 = time.perf_counter()
        for _ in range(calls):
            p.command(names[0], "show ospf neighbor")
        one = time.perf_counter() - t0
        took, _ = threaded()
        c = threading.Thread(target=counter, daemon=True)
        c.start()
        idle = rate(0.5)
        _, rates = threaded()
        stop.set()
    out = {"one_thread_s": one, "threaded_s": took, "sequential_s": one * threads,
           "counter_share": (sum(rates) / len(rates)) / idle if rates and idle else 0.0}
    rep.add("threads_s", f"netpool Pool, {threads} threads x {calls}", took, "s",
            one_thread_s=one, x_one_thread=took / one, counter_share=out["counter_share"])
    return out


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python python/bench/bench.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=["instant", "vmx", "both"], default="both")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    ap.add_argument("--netlab", help="the netlab binary (default: NETLAB_BIN, then release or debug under CARGO_TARGET_DIR or target/)")
    ap.add_argument("--require", default="",
                    help="comma-separated clients that must be measured (" + ", ".join(CLIENTS)
                    + "); one that is not installed is an error, before anything runs")
    a = ap.parse_args(argv)
    required = [c.strip() for c in a.require.split(",") if c.strip()]
    unknown = [c for c in required if c not in CLIENTS]
    if unknown:
        ap.error(f"--require: unknown client {', '.join(unknown)} (known: {', '.join(CLIENTS)})")
    absent = [c for c in required if not _have(CLIENTS[c])]
    if absent:
        print(f"bench.py: required but not installed: {', '.join(absent)}", file=sys.stderr)
        return 2
    os.environ.setdefault("NETLAB_SIM_PASSWORD", PASSWORD)  # the inventories name it
    netlab = _find_netlab(a.netlab)
    rep = Report()
    result: Dict[str, Any] = {"python": sys.version.split()[0], "netpool": "netpool-python", "quick": a.quick}
    print(f"{'measure':<18} {'client':<28} {'value':>12} unit", flush=True)
    if a.profile in ("instant", "both"):
        f = Fleet(netlab, 4, "instant", "127.66.1.1")
        try:
            bench_instant(f, rep, a.quick)
        finally:
            f.stop()
    if a.profile in ("vmx", "both"):
        f = Fleet(netlab, 5, "vmx", "127.66.2.1")
        try:
            result["seed"] = bench_seed(f, rep)
            result["threads"] = bench_threads(f, rep, a.quick)
        finally:
            f.stop()
        result["seed"]["published"] = PUBLISHED
    result["rows"] = rep.rows
    result["missing"] = rep.missing
    if rep.missing:
        print("not installed, not measured: " + ", ".join(rep.missing), flush=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
