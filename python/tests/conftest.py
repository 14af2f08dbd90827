"""Fixtures: simulated Junos fleets served by `netlab sim` (a real SSH/NETCONF server in
another process), a real OpenSSH sshd, a blackhole address, and an event-loop ticker.

The `netlab` binary comes from NETLAB_BIN, or {debug,release}/netlab of the build directory
(CARGO_TARGET_DIR, else target/ of this checkout; `cargo build -p netlab`). A missing binary fails the tests; nothing is skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "lab123"
os.environ.setdefault("NETLAB_SIM_PASSWORD", PASSWORD)

_addresses = itertools.count(1)


def netlab_bin() -> str:
    env = os.environ.get("NETLAB_BIN")
    if env:
        return env
    target = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
    for profile in ("debug", "release"):
        p = target / profile / "netlab"
        if p.exists():
            return str(p)
    pytest.fail("no netlab binary: run `cargo build -p netlab` or set NETLAB_BIN")


class Fleet:
    """A `netlab sim` process and the inventory it wrote."""

    def __init__(self, routers: int, profile: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="netpool-py-fleet-")
        self.inventory = os.path.join(self.dir, "fleet.toml")
        # Each fleet on addresses of its own (127.77.K.1, ...), free ports.
        k = next(_addresses)
        self.proc = subprocess.Popen(
            [
                netlab_bin(), "sim", "--routers", str(routers), "--profile", profile,
                "--listen", f"127.77.{k}.1", "--ports", "0", "--routes", "200",
                "--inventory-out", self.inventory,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "NETLAB_SIM_PASSWORD": PASSWORD},
        )
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("serving"):
                break
            if time.monotonic() > deadline:
                break
        if not os.path.exists(self.inventory):
            self.stop()
            pytest.fail("netlab sim did not start")
        self.hosts: List[tuple] = []
        host = port = None
        for line in open(self.inventory):
            if line.startswith("host = "):
                host = line.split('"')[1]
            if line.startswith("port = "):
                port = int(line.split("=")[1])
                self.hosts.append((host, port))
        self.names = [f"r{i + 1}" for i in range(routers)]

    def kill(self) -> None:
        """As `kill -9` of the router's sshd: every session and the listener go at once."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def fleet_fixture(name: str, routers: int, profile: str, scope: str, doc: str) -> Any:
    """A pytest fixture named ``name``: a fleet of ``routers`` started for ``scope`` and
    stopped after it."""

    def start() -> Iterator[Fleet]:
        f = Fleet(routers, profile)
        yield f
        f.stop()

    start.__doc__ = doc
    return pytest.fixture(scope=scope, name=name)(start)  # type: ignore[call-overload]


fleet = fleet_fixture("fleet", 4, "instant", "session", "Four routers, instant profile (no artificial delay).")
vmx_fleet = fleet_fixture(
    "vmx_fleet", 5, "vmx", "session", "Five routers timed like a vMX (0.43 s session setup, ~20 ms a command)."
)
lone_router = fleet_fixture(
    "lone_router", 1, "vmx", "function",
    "One router in a process of its own, to be killed; vmx timing (~20 ms a command), so that calls are in "
    "flight when it dies.",
)


class Blackhole:
    """An address whose connects never complete: a listener that never accepts, its
    backlog filled, so the kernel drops further SYNs (an unreachable host, without root)."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(3):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(s)
        time.sleep(0.05)

    def close(self) -> None:
        for s in self.fillers:
            s.close()
        self.listener.close()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    b = Blackhole()
    yield b
    b.close()


# A blocked loop is told from a busy one by this bound. The fleets the probes use make a blocking
# call cost 20 ms or more (the vmx profile's command time, a connect timeout), and twenty of them in
# one gather then hold the loop for 400 ms or more; the scheduler noise of this shared two-core
# machine, with both cores busy, reached 5.5 ms at p99 (CI, 2026-12).
LATE_P99_MS = 25.0
MIN_TICKS = 300


class Ticker:
    """A 10 ms ticker on the running loop: how late each tick woke, in ms."""

    def __init__(self, period: float = 0.010) -> None:
        self.period = period
        self.late: List[float] = []
        self.task: Optional[asyncio.Task] = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(self.period)
            self.late.append((loop.time() - t0 - self.period) * 1000.0)

    def __enter__(self) -> "Ticker":
        self.task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc) -> None:
        assert self.task is not None
        self.task.cancel()

    def p99(self) -> float:
        s = sorted(self.late)
        assert len(s) >= 5, f"only {len(s)} ticks"
        return s[min(len(s) - 1, int(len(s) * 0.99))]

    def check(self, min_ticks: int = MIN_TICKS) -> None:
        """The loop was never blocked: enough ticks to judge, and p99 lateness under the bound."""
        assert len(self.late) >= min_ticks, f"only {len(self.late)} ticks: the loop was starved or the run too short"
        assert self.p99() < LATE_P99_MS, (
            f"event loop blocked: tick lateness p99 {self.p99():.1f} ms >= {LATE_P99_MS} ms "
            f"over {len(self.late)} ticks; latest five {[round(x, 1) for x in sorted(self.late)[-5:]]}"
        )


async def under_ticker(workload, min_ticks: int = MIN_TICKS, cap: float = 20.0) -> Ticker:
    """Runs `await workload()` again and again with a ticker on the loop until the ticker has
    `min_ticks` ticks (or `cap` seconds went by), then lets it tick a little longer."""
    loop = asyncio.get_running_loop()
    with Ticker() as t:
        deadline = loop.time() + cap
        while len(t.late) < min_ticks and loop.time() < deadline:
            await workload()
        await asyncio.sleep(0.05)
    return t


def wait_until(cond, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def held(pool) -> int:
    """Sessions lent out or callers waiting, over every device of the pool."""
    return sum(s["in_use"] + s["waiting"] for s in pool.stats())


@pytest.fixture(scope="module")
def pyez_shared_pool(tmp_path_factory) -> Iterator[None]:
    """netpool.pyez's shared pool for one test module, learning host keys into a file of
    this test run (fleets reuse addresses and ports with other keys)."""
    import netpool.pyez as npyez

    npyez.close()
    npyez.configure(known_hosts_file=str(tmp_path_factory.mktemp("known") / "known_hosts"))
    yield
    npyez.close()


def shared_stats(stats: dict, at: tuple) -> dict:
    """netpool.pyez.stats()'s counters for the router at (host, port), summed over its
    entries (a wrong password is a device of its own, under the same label)."""
    host, port = at
    mine = [s for s in stats["devices"] if s["device"].endswith(f"@{host}:{port}")]
    assert mine, f"no stats for {host}:{port}: {stats}"
    keys = ("connects", "reused", "in_use", "netconf_opened", "checkouts")
    return {k: sum(s[k] for s in mine) for k in keys}


class Sshd:
    """Debian's OpenSSH sshd on 127.0.0.1 with its own host key and an authorized key."""

    def __init__(self) -> None:
        sshd = next((p for p in ("/usr/sbin/sshd", "/usr/bin/sshd") if os.path.exists(p)), None)
        if sshd is None:
            pytest.fail("sshd is not installed (Debian's openssh-server; .ci/run installs it)")
        self.dir = tempfile.mkdtemp(prefix="netpool-py-sshd-")
        d = Path(self.dir)
        for name in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", str(d / name)], check=True)
        shutil.copy(d / "client_key.pub", d / "authorized_keys")
        os.makedirs("/run/sshd", exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.user = os.environ.get("USER", "root")
        (d / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
            f"PidFile {d / 'sshd.pid'}\nAuthorizedKeysFile {d / 'authorized_keys'}\n"
            "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            f"PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nAllowUsers {self.user}\n"
            "MaxSessions 10\nMaxStartups 100\nLogLevel ERROR\n"
        )
        self.proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(d / "sshd_config")], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("sshd did not listen")
                time.sleep(0.05)
        out = subprocess.run(
            ["ssh-keygen", "-l", "-E", "sha256", "-f", str(d / "host_key.pub")],
            check=True, capture_output=True, text=True,
        ).stdout
        self.fingerprint = out.split()[1]
        self.key = str(d / "client_key")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def sshd() -> Iterator[Sshd]:
    s = Sshd()
    yield s
    s.stop()
