"""Keepalives (``keepalive_interval``, ``keepalive_count_max``) find a connection whose peer
went silent, and the pool replaces it without an error to the caller: hussh issue 83's ask,
through a relay that can freeze (a NAT box that dropped the flow, a hung router)."""

from __future__ import annotations

import socket
import threading
import time

import netpool
from conftest import PASSWORD, wait_until


class FreezingRelay:
    """A TCP relay to one address. ``freeze()`` stops moving bytes on the connections open
    now (their sockets stay open, as a silent peer's would); new connections relay as usual."""

    def __init__(self, target) -> None:
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.frozen = set()
        self.generation = 0
        self.accepted = 0
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            u = socket.create_connection(self.target)
            for s in (c, u):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socks += [c, u]
            gen = self.generation
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b, gen), daemon=True).start()

    def _pump(self, a, b, gen) -> None:
        while True:
            try:
                data = a.recv(65536)
            except OSError:
                return
            if not data:
                return
            while gen in self.frozen:
                time.sleep(0.05)  # hold the bytes: the peer has gone silent
            try:
                b.sendall(data)
            except OSError:
                return

    def freeze(self) -> None:
        self.frozen.add(self.generation)
        self.generation += 1

    def close(self) -> None:
        self.listener.close()
        for s in self.socks:
            s.close()


def test_keepalives_replace_a_silent_connection(fleet):
    relay = FreezingRelay(fleet.hosts[0])
    try:
        with netpool.ConnectionPool("127.0.0.1", "lab", password=PASSWORD, port=relay.port, max_connections=1,
                                    keepalive_interval=0.2, keepalive_count_max=2, tcp_keepalive=None,
                                    host_key_policy="insecure-accept-any", rpc_timeout=30) as cp:
            assert "Junos" in cp.execute("show version").stdout
            assert cp.stats()[0]["connections"] == 1 and relay.accepted == 1
            relay.freeze()
            # 2 keepalives unanswered at 0.2 s: the connection is declared dead within ~1 s,
            # with no call in flight to notice it
            wait_until(lambda: cp.stats()[0]["connections"] == 0, timeout=5, what="the dead connection dropped")
            t0 = time.monotonic()
            r = cp.execute("show version")  # a new connection, no error to the caller
            assert "Junos" in r.stdout and time.monotonic() - t0 < 2
            assert relay.accepted == 2
    finally:
        relay.close()


def test_without_keepalives_the_silent_connection_stays(fleet):
    """The control: with keepalives off, nothing notices the silence."""
    relay = FreezingRelay(fleet.hosts[1])
    try:
        with netpool.ConnectionPool("127.0.0.1", "lab", password=PASSWORD, port=relay.port, max_connections=1,
                                    keepalive_interval=None, tcp_keepalive=None,
                                    host_key_policy="insecure-accept-any") as cp:
            cp.execute("show version")
            relay.freeze()
            time.sleep(1.5)
            assert cp.stats()[0]["connections"] == 1
    finally:
        relay.close()
