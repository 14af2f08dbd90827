"""What the two example MCP servers share: the published benchmark's batch tool reply
(``execute_junos_command_batch``), built around each server's own way to run a command."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any, Awaitable, Callable, Collection, Dict, List, Tuple

# One router's run: (succeeded, its output or its error text).
RunOne = Callable[[str], Awaitable[Tuple[bool, str]]]


async def batch(router_names: List[str], known: Collection[str], run: RunOne) -> str:
    """Run on every router at once; JSON with a result per router (``status``, ``output`` or
    ``error``, ``execution_time``) and ``summary`` (``total_duration`` in seconds)."""
    started = time.perf_counter()

    async def one(name: str) -> Dict[str, Any]:
        t = time.perf_counter()
        if name not in known:
            ok, text = False, f"unknown router {name!r}"
        else:
            ok, text = await run(name)
        return {"router_name": name, "status": "success" if ok else "error",
                "output" if ok else "error": text, "execution_time": time.perf_counter() - t}

    results = await asyncio.gather(*(one(n) for n in router_names))
    ok = sum(r["status"] == "success" for r in results)
    return json.dumps({
        "results": results,
        "summary": {
            "total_routers": len(results),
            "successful": ok,
            "failed": len(results) - ok,
            "total_duration": time.perf_counter() - started,
        },
    })


def serve(build: Callable[[str, str, int], Any], description: str, flags: Dict[str, str], label: str) -> None:
    """The servers' command line: ``--inventory FILE --listen HOST:PORT`` and the store-true
    ``flags`` (name: help); builds the server and serves it over streamable HTTP at ``/mcp``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--inventory", required=True, help="inventory TOML (as netlab sim writes it)")
    ap.add_argument("--listen", default="127.0.0.1:8000", help="HOST:PORT (default 127.0.0.1:8000)")
    for flag, text in flags.items():
        ap.add_argument(flag, action="store_true", help=text)
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")
    server = build(a.inventory, host or "127.0.0.1", int(port))
    print(f"serving MCP at http://{a.listen}/mcp{label}", flush=True)
    server.run(transport="streamable-http")
