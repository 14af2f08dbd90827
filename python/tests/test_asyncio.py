"""The asyncio API: results, the event loop never blocked (a 10 ms ticker on the same loop,
p99 lateness under conftest.LATE_P99_MS over at least 300 ticks through a stampede, a killed
router and an unreachable host; the same probe fails when the awaitable blocks), and
cancellation that leaks nothing."""

from __future__ import annotations

import asyncio
import time

import pytest

import netpool
from conftest import LATE_P99_MS, PASSWORD, held, under_ticker

def run(coro):
    return asyncio.run(coro)


def test_async_pool_calls(fleet):
    async def main():
        async with netpool.AsyncPool(inventory=fleet.inventory) as p:
            r = await p.cli("r1", "show version")
            assert "Junos" in r.stdout
            assert "software-information" in await p.rpc("r2", "<get-software-information/>")
            assert "Chassis" in await p.command("r3", "show chassis hardware")
            async with p.netconf("r4") as nc:
                assert nc.session_id is not None
                a, b = await asyncio.gather(nc.command("show version"), nc.rpc("<get-chassis-inventory/>"))
                assert "Junos" in a and "chassis" in b
            out = await p.fan_out("show version")
            assert sorted(out) == fleet.names
            with pytest.raises(netpool.RpcError) as ei:
                await p.rpc("r1", "<get-no-such-information/>")
            assert ei.value.errors[0].tag
            await p.configure("r2", 'set interfaces ge-0/0/5 description "async-set"')
            assert "async-set" in await p.rpc("r2", "<get-configuration/>")
            assert held(p) == 0
        assert p.closed
        with pytest.raises(netpool.PoolClosed):
            await p.cli("r1", "show version")

    run(main())


def test_async_connection_pool_and_connection(fleet):
    host, port = fleet.hosts[0]

    async def main():
        async with netpool.AsyncConnectionPool(host, "lab", password=PASSWORD, port=port, max_connections=3,
                                               keepalive_interval=5, keepalive_count_max=2,
                                               host_key_policy="insecure-accept-any") as cp:
            async with cp.connection() as conn:
                rs = await asyncio.gather(*(conn.execute("show version") for _ in range(30)))
                assert all("Junos" in r.stdout for r in rs)
            assert cp.stats()[0]["connections"] <= 3
        async with netpool.AsyncConnection(host, "lab", password=PASSWORD, port=port,
                                           host_key_policy="insecure-accept-any") as c:
            assert "Junos" in (await c.execute("show version")).stdout
        c = netpool.AsyncConnection(host, "lab", password="wrong", port=port, host_key_policy="insecure-accept-any")
        with pytest.raises(netpool.AuthenticationError):
            await c.connect()

    run(main())


def test_loop_stays_responsive_through_a_stampede(vmx_fleet):
    async def main():
        async with netpool.AsyncPool(inventory=vmx_fleet.inventory) as p:
            await p.cli("r1", "show version")

            async def stampede():
                rs = await asyncio.gather(*(p.cli("r1", "show route") for _ in range(20)))
                assert all(r.stdout for r in rs)
                rs = await asyncio.gather(*(p.command("r1", "show ospf neighbor") for _ in range(20)))
                assert all(rs)

            (await under_ticker(stampede)).check()
            assert held(p) == 0

    run(main())


def test_the_probe_fails_when_the_loop_is_blocked(vmx_fleet):
    """The negative control of the three probes: the same stampede, with each awaitable made
    to call the blocking pool on the loop's thread, must fail the check."""
    sync = netpool.Pool(inventory=vmx_fleet.inventory)
    try:
        sync.cli("r1", "show version")

        async def blocking_cli(cmd):
            return sync.cli("r1", cmd)

        async def stampede():
            rs = await asyncio.gather(*(blocking_cli("show route") for _ in range(20)))
            assert all(r.stdout for r in rs)

        async def main():
            t = await under_ticker(stampede, cap=3.0)
            assert t.p99() >= LATE_P99_MS, sorted(t.late)[-5:]
            with pytest.raises(AssertionError, match="event loop blocked|ticks"):
                t.check()

        run(main())
    finally:
        sync.close()


def test_loop_stays_responsive_when_a_router_is_killed(lone_router):
    async def main():
        async with netpool.AsyncPool(inventory=lone_router.inventory, connect_retries=1, rpc_timeout=5) as p:
            await p.command("r1", "show version")
            results = []

            async def kill_then_call():
                if lone_router.proc.poll() is None:
                    calls = [asyncio.ensure_future(p.command("r1", "show route")) for _ in range(20)]
                    await asyncio.sleep(0)
                    lone_router.kill()
                    results.extend(await asyncio.gather(*calls, return_exceptions=True))
                with pytest.raises(netpool.Error):
                    await p.cli("r1", "show version")
                await asyncio.sleep(0.01)

            (await under_ticker(kill_then_call)).check()
            assert len(results) == 20
            assert all(isinstance(r, (str, netpool.Error)) for r in results), results
            # The precondition of the probe: the kill caught calls in flight, and they got an error by kind.
            failed = [r for r in results if isinstance(r, netpool.Error)]
            assert failed, "all 20 calls finished before the kill: nothing was in flight"
            assert all(type(r) is not netpool.Error for r in failed), failed
            assert held(p) == 0

    run(main())


def test_loop_stays_responsive_while_a_connect_hangs(blackhole):
    d = netpool.Device("127.0.0.1", "lab", password="x", port=blackhole.port)

    async def main():
        async with netpool.AsyncPool(devices=[d], connect_timeout=1.0, connect_retries=0) as p:
            rounds = []

            async def hanging_connects():
                t0 = time.monotonic()
                rs = await asyncio.gather(*(p.cli(d, "show version") for _ in range(5)), return_exceptions=True)
                rounds.append(time.monotonic() - t0)
                assert all(isinstance(r, (netpool.ConnectTimeout, netpool.CircuitOpen, netpool.CheckoutTimeout))
                           for r in rs), rs
                await asyncio.sleep(0.01)

            t = await under_ticker(hanging_connects)
            assert 0.8 < rounds[0] < 5, rounds
            t.check()

    run(main())


async def _cancel_after(coro, delay):
    task = asyncio.ensure_future(coro)
    await asyncio.sleep(delay)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _settled(pool, timeout=5.0):
    deadline = time.monotonic() + timeout
    while held(pool) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return held(pool)


def test_cancelled_during_connect(vmx_fleet):
    async def main():
        async with netpool.AsyncPool(inventory=vmx_fleet.inventory) as p:
            # vmx: authentication alone takes 0.21 s, so 50 ms in is mid-connect
            await _cancel_after(p.command("r1", "show version"), 0.05)
            assert await _settled(p) == 0
            assert "Junos" in await p.command("r1", "show version")

    run(main())


def test_cancelled_while_waiting_for_a_session(fleet):
    async def main():
        async with netpool.AsyncPool(inventory=fleet.inventory, max_connections_per_device=1,
                                     channels_per_connection=1) as p:
            async with p.netconf("r1") as nc:
                await nc.command("show version")
                waiter = asyncio.ensure_future(p.command("r1", "show version"))
                await asyncio.sleep(0.1)
                assert p.stats()[0]["waiting"] == 1
                waiter.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiter
                # the Rust side stopped waiting too (while the session is still held): a
                # cancelled call never runs later behind its caller's back
                deadline = time.monotonic() + 1.0
                while p.stats()[0]["waiting"] and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                assert p.stats()[0]["waiting"] == 0
                assert p.stats()[0]["in_use"] == 1
            assert await _settled(p) == 0
            assert "Junos" in await p.command("r1", "show version")

    run(main())


def test_cancelled_during_an_rpc(vmx_fleet):
    async def main():
        async with netpool.AsyncPool(inventory=vmx_fleet.inventory) as p:
            await p.command("r2", "show version")  # the session exists; the RPC is what is cancelled
            await _cancel_after(p.command("r2", "show route"), 0.02)
            assert await _settled(p) == 0
            s = p.stats()
            assert sum(x["discarded"].get("Cancelled", 0) for x in s) == 1, s
            assert "Junos" in await p.command("r2", "show version")

    run(main())


def test_wait_for_timeouts_leak_nothing(vmx_fleet):
    async def main():
        async with netpool.AsyncPool(inventory=vmx_fleet.inventory) as p:
            # during connect (authentication alone is 0.21 s on vmx) ...
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(p.command("r4", "show version"), 0.1)
            await p.command("r3", "show version")
            # ... and during an RPC ("show route" takes ~80 ms on vmx)
            for delay in (0.001, 0.01, 0.04):
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(p.command("r3", "show route"), delay)
            assert await _settled(p) == 0
            assert "Junos" in await p.command("r3", "show version")
            assert "Junos" in await p.command("r4", "show version")
            assert await _settled(p) == 0

    run(main())


def test_a_session_object_gced_unreleased_goes_back(fleet):
    async def main():
        async with netpool.AsyncPool(inventory=fleet.inventory) as p:
            nc = p.netconf("r1")
            await nc.open()
            await nc.command("show version")
            assert held(p) == 1
            del nc
            import gc

            gc.collect()
            assert await _settled(p) == 0

    run(main())
