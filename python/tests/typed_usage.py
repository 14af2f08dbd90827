"""Not a test: code an editor and mypy --strict must accept, checked by test_stubs.py."""

from __future__ import annotations

import asyncio
from typing import Dict, List, Union

import netpool


def sync_use(inventory: str) -> List[str]:
    with netpool.Pool(inventory=inventory, checkout_timeout=5, idle_timeout=None) as pool:
        r: netpool.ExecResult = pool.cli("r1", "show version")
        out: List[str] = [r.stdout, r.stderr, str(r.status)]
        with pool.netconf("r1") as nc:
            out.append(nc.rpc("<get-software-information/>"))
            nc.lock()
            nc.load("set system host-name x")
            nc.commit(comment="typed")
            nc.unlock()
        results: Dict[str, Union[netpool.ExecResult, str, BaseException]] = pool.fan_out("show version")
        out.extend(k for k in results)
        try:
            pool.rpc("r1", "<bogus/>")
        except netpool.RpcError as e:
            out.extend(x.tag for x in e.errors)
        return out


async def async_use(host: str) -> str:
    async with netpool.AsyncConnectionPool(host, "lab", password="x", max_connections=2,
                                           keepalive_interval=5.0, keepalive_count_max=2) as cp:
        async with cp.connection() as conn:
            r = await conn.execute("uptime")
            return r.stdout


def run() -> None:
    print(sync_use("fleet.toml"), asyncio.run(async_use("127.0.0.1")))
