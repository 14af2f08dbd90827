"""Against a real OpenSSH sshd (Debian's openssh-server): a server nobody here wrote."""

from __future__ import annotations

import asyncio

import pytest

import netpool
from conftest import held


def test_connection_pool_against_openssh(sshd):
    with netpool.ConnectionPool("127.0.0.1", sshd.user, key_path=sshd.key, port=sshd.port, max_connections=2,
                                host_keys=[sshd.fingerprint], keepalive_interval=2, keepalive_count_max=3) as cp:
        with cp.connection() as conn:
            r = conn.execute("echo hello from openssh")
            assert (r.stdout, r.stderr, r.status) == ("hello from openssh\n", "", 0)
            r = conn.execute("echo oops >&2; exit 3")
            assert (r.stderr, r.status, r.ok) == ("oops\n", 3, False)
        assert cp.stats()[0]["connections"] <= 2
        assert held(cp) == 0


def test_async_pool_against_openssh(sshd):
    d = netpool.Device("127.0.0.1", sshd.user, key_path=sshd.key, port=sshd.port, host_keys=[sshd.fingerprint])

    async def main():
        async with netpool.AsyncPool(devices=[d], max_connections_per_device=2) as p:
            rs = await asyncio.gather(*(p.cli(d, f"echo {i}") for i in range(40)))
            assert [r.stdout for r in rs] == [f"{i}\n" for i in range(40)]
            s = p.stats()[0]
            assert s["connections"] <= 2 and s["connects"] <= 2, s
            # no NETCONF on a plain sshd: a clear error, not a hang
            with pytest.raises(netpool.ChannelError, match="netconf"):
                await p.rpc(d, "<get-software-information/>")

    asyncio.run(main())


def test_wrong_host_key_against_openssh(sshd):
    with netpool.ConnectionPool(
        "127.0.0.1", sshd.user, key_path=sshd.key, port=sshd.port,
        host_keys=["SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ) as cp:
        with pytest.raises(netpool.HostKeyError) as ei:
            cp.execute("true")
        assert sshd.fingerprint in str(ei.value)
