"""A Junos MCP tool server written the PyEZ way (``with Device(...) as dev: dev.cli(...)``
per tool call, as the published junos-mcp-server is), pooled by one import:

    from netpool.pyez import Device      # was: from jnpr.junos import Device

    python python/examples/pyez_server.py --inventory FILE --listen 127.0.0.1:PORT [--plain]

``--plain`` imports ``jnpr.junos.Device`` instead, to measure the same server unpooled.
The tools are the published benchmark's (``execute_junos_command``,
``execute_junos_command_batch``, ``get_router_list``); each runs its PyEZ code in a worker
thread (``asyncio.to_thread``), so the event loop never waits on a router. The routers are
those of a ``netlab sim`` inventory; the password comes from NETLAB_SIM_PASSWORD.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import List, Tuple

from mcp.server.fastmcp import FastMCP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcp_tools  # noqa: E402  (the batch tool's reply, shared with mcp_server.py)
from mcp_bench import routers_of  # noqa: E402  (the inventory reader, written once)

PLAIN = "--plain" in sys.argv
if PLAIN:
    from jnpr.junos import Device
else:
    from netpool.pyez import Device  # the one change a PyEZ program needs
from jnpr.junos.exception import ConnectError  # noqa: E402


def build(inventory: str, host: str, port: int) -> FastMCP:
    password = os.environ["NETLAB_SIM_PASSWORD"]
    devices = {name: {"host": h, "port": p, "user": u, "password": password, "gather_facts": False}
               for name, h, p, u in routers_of(inventory)}
    server = FastMCP("junos-pyez", host=host, port=port, log_level="WARNING", json_response=True)

    def run_cli(router: str, command: str, timeout: int = 360) -> str:
        """What the published server's tools do, unchanged."""
        try:
            with Device(**devices[router]) as dev:
                dev.timeout = timeout
                return dev.cli(command, warning=False)
        except ConnectError as e:
            return f"Connection error to {router}: {e}"
        except Exception as e:  # noqa: BLE001 - a tool answers with the error
            return f"An error occurred: {e}"

    @server.tool()
    async def execute_junos_command(router_name: str, command: str) -> str:
        """Run a Junos CLI command on one router and return its text output."""
        if router_name not in devices:
            return f"Error: unknown router {router_name!r} (known: {', '.join(devices)})"
        return await asyncio.to_thread(run_cli, router_name, command)

    @server.tool()
    async def execute_junos_command_batch(router_names: List[str], command: str) -> str:
        """Run one Junos CLI command on several routers at once; JSON with a result per
        router and summary.total_duration in seconds."""

        async def one(name: str) -> Tuple[bool, str]:
            out = await asyncio.to_thread(run_cli, name, command)
            return not out.startswith(("Connection error", "An error occurred")), out

        return await mcp_tools.batch(router_names, devices, one)

    @server.tool()
    async def get_router_list() -> str:
        """The routers this server can reach, as JSON."""
        return json.dumps([{"name": n, "device": f"{d['user']}@{d['host']}:{d['port']}"}
                           for n, d in devices.items()])

    return server


def main() -> None:
    flags = {"--plain": "plain PyEZ (jnpr.junos.Device), unpooled"}
    mcp_tools.serve(build, __doc__.split("\n\n")[0], flags, f" ({'plain PyEZ' if PLAIN else 'netpool.pyez'})")


if __name__ == "__main__":
    main()
