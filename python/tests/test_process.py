"""Processes: a pool made before os.fork() refuses to work in the child (and never touches
the parent's sockets there), and interpreter exit with sessions open is clean."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import netpool
from conftest import held

# The benchmark is not installed with the package: it lives beside the tests.
BENCH_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench")


def _wait_child(pid: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child hung")


def test_a_pool_made_before_fork_fails_in_the_child(fleet):
    p = netpool.Pool(inventory=fleet.inventory)
    assert "Junos" in p.cli("r1", "show version").stdout
    with p.netconf("r2") as nc:
        nc.command("show version")
    before = {s["device"]: s["connects"] for s in p.stats()}
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what happened on the pipe, then leave at once
        os.close(r)
        try:
            lines = []
            for call in (lambda: p.cli("r1", "show version"), lambda: p.netconf("r2"),
                         lambda: p.stats()):
                try:
                    call()
                    lines.append("no error")
                except netpool.ForkError as e:
                    lines.append(f"ForkError: {e}")
                except BaseException as e:  # noqa: BLE001
                    lines.append(f"{type(e).__name__}: {e}")
            # a pool made after the fork works
            q = netpool.Pool(inventory=fleet.inventory)
            lines.append("child pool: " + ("ok" if "Junos" in q.cli("r3", "show version").stdout else "bad"))
            q.close()
            os.write(w, "\n".join(lines).encode())
        finally:
            os._exit(0)
    os.close(w)
    code = _wait_child(pid)
    out = os.read(r, 65536).decode()
    os.close(r)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4, out
    for line in lines[:3]:
        assert line.startswith("ForkError:") and "after forking" in line, line
    assert lines[3] == "child pool: ok", out
    # the parent's sessions were not closed by the child: they are still reused
    assert "Junos" in p.cli("r1", "show version").stdout
    with p.netconf("r2") as nc:
        assert "Junos" in nc.command("show version")
    after = {s["device"]: s["connects"] for s in p.stats()}
    assert all(after[d] == n for d, n in before.items()), (before, after)
    assert held(p) == 0
    p.close()



def _run(script: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=timeout)


def _exits_cleanly(res: subprocess.CompletedProcess, took: float, during: str) -> None:
    """The script printed "exiting" and ended at once (under 5 s), without a panic or a
    traceback, ``during`` what it left behind."""
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "exiting"
    assert "panic" not in res.stderr.lower() and "Traceback" not in res.stderr, res.stderr
    assert took < 5, f"exit took {took:.1f} s {during}"


def test_interpreter_exit_with_sessions_open_is_clean(fleet):
    t0 = time.monotonic()
    res = _run(f"""
        import asyncio, threading, netpool
        inv = {fleet.inventory!r}
        p = netpool.Pool(inventory=inv)
        p.cli("r1", "show version")
        held = p.netconf("r2")                 # leased, never released
        held.command("show version")
        ap = netpool.AsyncPool(inventory=inv)
        async def main():
            s = ap.netconf("r3")
            await s.open()
            await s.command("show version")
            # calls still in flight in another thread at exit end with PoolClosed, not a hang
            threading.Thread(target=loop, daemon=True).start()
        def loop():
            try:
                while True:
                    p.cli("r4", "show route")
            except netpool.PoolClosed:
                pass
        asyncio.run(main())
        print("exiting")
    """)
    _exits_cleanly(res, time.monotonic() - t0, "with sessions open and calls in flight")


def test_exit_while_an_async_call_hangs_is_clean(blackhole):
    # The connect would hang for 30 s; exit must not wait for it. The subprocess timeout is
    # wider than the bound so that a hang fails on the bound, with the time in the message.
    t0 = time.monotonic()
    res = _run(timeout=40, script=f"""
        import asyncio, netpool
        d = netpool.Device("127.0.0.1", "lab", password="x", port={blackhole.port})
        async def main():
            p = netpool.AsyncPool(devices=[d], connect_timeout=30)
            t = asyncio.ensure_future(p.cli(d, "show version"))
            await asyncio.sleep(0.2)
        asyncio.run(main())
        print("exiting")
    """)
    _exits_cleanly(res, time.monotonic() - t0, "with a connect hanging (its timeout: 30 s)")


def test_bench_refuses_to_run_without_a_required_client():
    # hussh hidden from the interpreter (sys.modules[name] = None makes its import fail):
    # --require hussh must stop the run, naming it, before anything is measured.
    res = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['hussh'] = None; sys.path.insert(0, sys.argv[1]); from bench import main; "
         "sys.exit(main(['--require', 'hussh', '--profile', 'instant', '--quick']))", BENCH_DIR],
        capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 2, (res.returncode, res.stdout[-500:], res.stderr[-500:])
    assert "required but not installed: hussh" in res.stderr, res.stderr
    assert "measure" not in res.stdout, res.stdout  # no table: nothing ran
