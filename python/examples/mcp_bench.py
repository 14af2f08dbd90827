"""The published benchmark's three phases against a Junos MCP tool server (by default
``mcp_server.py`` on netpool), driven with the official ``mcp`` client over streamable HTTP:

1. PyEZ per call, directly to the routers: open, ``cli``, close for each operation;
2. pooled sequential: ``execute_junos_command`` for each operation, one after the other;
3. pooled parallel: ``execute_junos_command_batch`` once per command, over every router.

The workload is the seed: every router x 7 commands. Prints the three figures and the
speedups over phase 1; ``--json FILE`` writes them.

    python python/examples/mcp_bench.py --url http://127.0.0.1:PORT/mcp --inventory FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any, Dict, List, Tuple

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from bench import SEED  # noqa: E402  (the published workload, written once)

PUBLISHED = {"per_call_s": 24.48, "pooled_seq_s": 3.98, "pooled_par_s": 1.18, "speedup_seq": 6.2, "speedup_par": 20.7}


def routers_of(inventory: str) -> List[Tuple[str, str, int, str]]:
    """(name, host, port, user) of each device of a netlab inventory."""
    defaults: Dict[str, str] = {}
    devices: List[Dict[str, str]] = []
    section = ""
    for raw in open(inventory):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            section = line
            if section == "[[device]]":
                devices.append({})
            continue
        if "=" not in line:
            continue
        k, v = (x.strip() for x in line.split("=", 1))
        v = v.strip('"')
        if section == "[defaults]":
            defaults[k] = v
        elif section == "[[device]]":
            devices[-1][k] = v
    return [(d["name"], d["host"], int(d.get("port", defaults.get("port", "22"))), d.get("user", defaults.get("user", "")))
            for d in devices]


def text_of(result: Any) -> str:
    if result.isError:
        raise RuntimeError(f"tool error: {result.content}")
    return "".join(getattr(c, "text", "") for c in result.content)


def pyez_per_call(routers: List[Tuple[str, str, int, str]], password: str) -> float:
    from jnpr.junos import Device

    t0 = time.perf_counter()
    for _, host, port, user in routers:
        for c in SEED:
            d = Device(host=host, port=port, user=user, passwd=password, gather_facts=False,
                       look_for_keys=False, allow_agent=False)
            d.open()
            out = d.cli(c, warning=False)
            d.close()
            if not out or not out.strip():
                raise RuntimeError(f"empty reply to {c!r}")
    return time.perf_counter() - t0


async def through_mcp(url: str, names: List[str]) -> Dict[str, Any]:
    async with streamablehttp_client(url) as (read, write, _):
        async with ClientSession(read, write) as s:
            await s.initialize()
            listed = json.loads(text_of(await s.call_tool("get_router_list", {})))
            # A list of routers (mcp_server.py) or, as the published server answers, an
            # object keyed by router name.
            listed_names = sorted(listed) if isinstance(listed, dict) else sorted(r["name"] for r in listed)
            assert listed_names == sorted(names), listed
            # warm: the pool opens its sessions (as a long-running server has)
            await s.call_tool("execute_junos_command_batch", {"router_names": names, "command": "show version"})
            t0 = time.perf_counter()
            for n in names:
                for c in SEED:
                    out = text_of(await s.call_tool("execute_junos_command", {"router_name": n, "command": c}))
                    if not out.strip() or out.startswith("Error"):
                        raise RuntimeError(f"{n} {c!r}: {out[:200]}")
            seq = time.perf_counter() - t0
            t0 = time.perf_counter()
            durations = []
            for c in SEED:
                r = json.loads(text_of(await s.call_tool("execute_junos_command_batch",
                                                          {"router_names": names, "command": c})))
                if r["summary"]["failed"]:
                    raise RuntimeError(f"batch {c!r}: {r}")
                durations.append(r["summary"]["total_duration"])
            par = time.perf_counter() - t0
            return {"pooled_seq_s": seq, "pooled_par_s": par, "batch_server_s": sum(durations)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--password-env", default="NETLAB_SIM_PASSWORD")
    ap.add_argument("--json")
    ap.add_argument("--per-call-from", metavar="JSON",
                    help="phase 1's figure from an earlier run's --json (the same workload on the same "
                         "machine, as CI does for its second server) instead of measuring it again")
    a = ap.parse_args()
    routers = routers_of(a.inventory)
    names = [r[0] for r in routers]
    ops = len(routers) * len(SEED)
    if a.per_call_from:
        earlier = json.load(open(a.per_call_from))
        if earlier.get("ops") != ops:
            ap.error(f"--per-call-from {a.per_call_from}: {earlier.get('ops')} operations, this run has {ops}")
        per_call = float(earlier["per_call_s"])
        print(f"PyEZ per call taken from {a.per_call_from} (measured earlier on the same workload)")
    else:
        per_call = pyez_per_call(routers, os.environ[a.password_env])
    res: Dict[str, Any] = {"ops": ops, "per_call_s": per_call, **asyncio.run(through_mcp(a.url, names))}
    res["speedup_seq"] = per_call / res["pooled_seq_s"]
    res["speedup_par"] = per_call / res["pooled_par_s"]
    res["published"] = PUBLISHED
    print(f"{ops} operations on {len(routers)} routers")
    print(f"PyEZ per call                 {per_call:8.3f} s  ({per_call / ops:.3f} s/op)")
    print(f"pooled sequential (MCP tool)  {res['pooled_seq_s']:8.3f} s  {res['speedup_seq']:6.1f}x   (published 6.2x)")
    print(f"pooled parallel (batch tool)  {res['pooled_par_s']:8.3f} s  {res['speedup_par']:6.1f}x   (published 20.7x)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
