"""Clients as people run them: paramiko and netmiko whose key is refused before their
password is taken, against junos-sim and through `netlab proxy` (the same SSH server core).

paramiko asks for the ssh-userauth service again before each method it tries; a server
that ignores the second request leaves it waiting until its auth timeout (russh did:
third_party/russh/PATCHES.md). OpenSSH and Junos answer it.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from typing import Iterator, Tuple

import paramiko
import pytest
from conftest import PASSWORD, Fleet, netlab_bin

PROXY_PASSWORD = "proxy-secret-7"


@pytest.fixture(scope="module")
def refused_key(tmp_path_factory) -> str:
    """A private key no router or proxy knows."""
    path = tmp_path_factory.mktemp("keys") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", str(path)], check=True)
    return str(path)


@pytest.fixture(scope="module")
def proxied(fleet: Fleet, tmp_path_factory) -> Iterator[Tuple[str, int]]:
    """`netlab proxy` in front of the fleet's r1: (host, port) of its endpoint."""
    d = tmp_path_factory.mktemp("proxy")
    proc = subprocess.Popen(
        [netlab_bin(), "proxy", "--inventory", fleet.inventory, "--first-port", "0",
         "--host-key", str(d / "host_key")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "NETLAB_PROXY_PASSWORD": PROXY_PASSWORD},
    )
    assert proc.stdout is not None
    port = None
    deadline = time.monotonic() + 30
    for line in proc.stdout:
        m = re.search(r"^r1\s+ssh -p (\d+) ", line)
        if m:
            port = int(m.group(1))
        if line.startswith("pooling") or time.monotonic() > deadline:
            break
    if port is None:
        proc.kill()
        pytest.fail("netlab proxy did not print r1's endpoint")
    yield ("127.0.0.1", port)
    proc.terminate()
    proc.wait(10)


def paramiko_key_then_password(host: str, port: int, password: str, key: str) -> str:
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    # auth_timeout bounds the wait for an answer: a server that ignores the second
    # service request fails here, with paramiko's "Authentication timeout".
    c.connect(host, port=port, username="lab", password=password, key_filename=key,
              look_for_keys=False, allow_agent=False, auth_timeout=10, timeout=10)
    try:
        _, out, _ = c.exec_command("show version", timeout=10)
        return out.read().decode()
    finally:
        c.close()


def test_paramiko_falls_back_from_a_refused_key_to_the_password(fleet, refused_key):
    host, port = fleet.hosts[0]
    assert paramiko_key_then_password(host, port, PASSWORD, refused_key).startswith("Hostname: r1")


def test_paramiko_falls_back_through_the_proxy(proxied, refused_key):
    host, port = proxied
    assert paramiko_key_then_password(host, port, PROXY_PASSWORD, refused_key).startswith("Hostname: r1")


def test_netmiko_with_a_refused_key_logs_in_with_the_password(fleet, refused_key):
    from netmiko import ConnectHandler

    host, port = fleet.hosts[0]
    conn = ConnectHandler(device_type="juniper_junos", host=host, port=port, username="lab", password=PASSWORD,
                          use_keys=True, key_file=refused_key, allow_agent=False, auth_timeout=10,
                          ssh_strict=False)
    try:
        assert conn.send_command("show version").strip().startswith("Hostname: r1")
    finally:
        conn.disconnect()
