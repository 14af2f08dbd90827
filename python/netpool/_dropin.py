"""The process-wide pools behind ``netpool.pyez`` and ``netpool.ncclient``.

Both modules lease NETCONF sessions from pools made here on first use: one pool per
host-key policy (PyEZ's ``hostkey_verify=False`` and ncclient's ``hostkey_verify=True``
ask for different ones), holding every device the process talks to. Settings come from
the ``NETPOOL_*`` environment variables (the names of ``netpool.SETTINGS``, upper-cased),
then from :func:`configure`, which must run before the first lease.
"""

from __future__ import annotations

import getpass
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _netpool
from .errors import ConfigError

#: netpool's own known_hosts for ``hostkey_verify=False``: keys are learned on first use
#: and a changed key is refused, without writing to the user's ~/.ssh/known_hosts.
DEFAULT_LEARNED_HOSTS = "~/.local/state/netpool/known_hosts"

#: Settings of the drop-in layer itself, beside the pool's.
DROPIN_SETTINGS = ("facts_ttl",)

_FACTS_TTL_DEFAULT = 300.0

_lock = threading.Lock()


@dataclass
class _State:
    settings: Dict[str, Any] = field(default_factory=dict)
    pools: Dict[str, "_netpool.Pool"] = field(default_factory=dict)
    leases: int = 0


_state = _State()


def _env_settings() -> Dict[str, str]:
    """The ``NETPOOL_*`` variables that name a setting (others, such as a test harness's
    ``NETPOOL_INTEROP_PYTHON``, are not ours to judge)."""
    names = set(_netpool.SETTINGS) | set(DROPIN_SETTINGS)
    out = {}
    for k, v in os.environ.items():
        if k.startswith("NETPOOL_") and k[len("NETPOOL_") :].lower() in names:
            out[k[len("NETPOOL_") :].lower()] = v
    return out


def configure(**settings: Any) -> None:
    """Set the shared pools' settings (every name of ``netpool.SETTINGS``, plus
    ``facts_ttl``: seconds a device's PyEZ facts are shared between ``Device`` objects, 0
    to gather them per ``Device`` as PyEZ does). Over the ``NETPOOL_*`` environment.

    Call it before the first ``open()``: the pools are made then, and a later call raises
    ``ConfigError`` (``close()`` first to start over)."""
    unknown = sorted(set(settings) - set(_netpool.SETTINGS) - set(DROPIN_SETTINGS))
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r}; the settings are: "
            + ", ".join(list(_netpool.SETTINGS) + list(DROPIN_SETTINGS)),
            stage="config",
            setting=unknown[0],
        )
    if "facts_ttl" in settings:
        _ttl(settings["facts_ttl"])
    merged = dict(_state.settings)
    merged.update(settings)
    # Made once, here, so that a bad value is named now rather than at first open.
    _netpool.Pool(**_pool_kwargs(merged, "insecure-accept-any")).close(0.0)
    with _lock:
        if _state.pools:
            raise ConfigError(
                "netpool.pyez.configure() after the first open(): the shared pool already "
                "runs with the earlier settings; call netpool.pyez.close() first",
                stage="config",
                setting=next(iter(settings), None),
            )
        _state.settings = merged


def _ttl(v: Any) -> float:
    try:
        t = float(v)
    except (TypeError, ValueError):
        raise ConfigError(
            f"invalid setting facts_ttl={v!r}: expected seconds (0 disables sharing)",
            stage="config",
            setting="facts_ttl",
        ) from None
    if not (t >= 0 and t < 1e9):
        raise ConfigError(
            f"invalid setting facts_ttl={v!r}: expected seconds (0 disables sharing)",
            stage="config",
            setting="facts_ttl",
        )
    return t


def facts_ttl() -> float:
    s = {**_env_settings(), **_state.settings}
    return _ttl(s["facts_ttl"]) if "facts_ttl" in s else _FACTS_TTL_DEFAULT


def _pool_kwargs(settings: Dict[str, Any], policy: str) -> Dict[str, Any]:
    kw: Dict[str, Any] = {**_env_settings(), **settings}
    kw.pop("facts_ttl", None)
    if "host_key_policy" not in kw:
        kw["host_key_policy"] = policy
        if policy == "accept-new" and "known_hosts_file" not in kw:
            path = Path(os.path.expanduser(DEFAULT_LEARNED_HOSTS))
            path.parent.mkdir(parents=True, exist_ok=True)
            kw["known_hosts_file"] = str(path)
    return kw


def _pool(verify: bool) -> "_netpool.Pool":
    """The shared pool for this host-key choice: strict known_hosts when the caller asked
    for verification, else keys learned on first use (see docs/python-pyez.md)."""
    policy = "known-hosts" if verify else "accept-new"
    with _lock:
        p = _state.pools.get(policy)
        if p is None or p.closed:
            p = _netpool.Pool(**_pool_kwargs(_state.settings, policy))
            _state.pools[policy] = p
        return p


def pools() -> List["_netpool.Pool"]:
    with _lock:
        return list(_state.pools.values())


def close(grace: float = 5.0) -> None:
    """Close the shared pools (sessions still leased are closed when handed back)."""
    with _lock:
        ps = list(_state.pools.values())
        _state.pools.clear()
    for p in ps:
        p.close(grace)


DISCOVERED_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")


def discover_key(
    key_filename: Union[None, str, Sequence[str]], password: Optional[str], look_for_keys: bool
) -> Optional[str]:
    """The private key to offer: the first of ``key_filename`` that exists, else (with
    ``look_for_keys`` and no password) the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa."""
    if isinstance(key_filename, (str, os.PathLike)):
        key_filename = [os.fspath(key_filename)]
    for k in key_filename or []:
        path = os.path.expanduser(k)
        if os.path.exists(path):
            return path
    if key_filename:
        raise ConfigError(
            f"key_filename {list(key_filename)!r}: no such file", stage="config", setting="key_path"
        )
    if look_for_keys and password is None:
        for name in DISCOVERED_KEYS:
            path = os.path.expanduser(os.path.join("~", ".ssh", name))
            if os.path.exists(path):
                return path
    return None


@dataclass(frozen=True)
class Target:
    """Where a session goes and as whom: the key of the shared pool's device."""

    host: str
    port: int
    username: str
    password: Optional[str]
    key_path: Optional[str]
    verify: bool

    def device(self) -> "_netpool.Device":
        return _netpool.Device(
            self.host,
            self.username,
            password=self.password,
            key_path=self.key_path,
            port=self.port,
        )


def target(
    host: str,
    port: Any,
    username: Optional[str],
    password: Optional[str],
    key_filename: Union[None, str, Sequence[str]],
    look_for_keys: bool,
    verify: bool,
) -> Target:
    try:
        port_n = int(port)
    except (TypeError, ValueError):
        raise ConfigError(f"port={port!r}: expected a TCP port number", stage="config", setting="port") from None
    user = username or getpass.getuser()
    key = discover_key(key_filename, password, look_for_keys)
    if password is None and key is None:
        raise ConfigError(
            f"{user}@{host}:{port_n}: no credentials: give a password, or a key "
            "(ssh_private_key_file / key_filename, or ~/.ssh/id_ed25519, id_ecdsa, id_rsa); "
            "netpool does not use an SSH agent",
            stage="config",
            setting="password",
        )
    return Target(host, port_n, user, password, key, verify)


def lease(t: Target, pool: Optional["_netpool.Pool"] = None) -> "_netpool.NetconfSession":
    """A NETCONF session for ``t`` from ``pool`` (or the shared one): a pooled session
    when one is free, a new one otherwise. Raises netpool's errors."""
    p = pool if pool is not None else _pool(t.verify)
    dev: Union[str, "_netpool.Device"] = t.device()
    if pool is not None and t.host in {d.name for d in pool.devices if d.name}:
        # A name of the given pool's inventory: its own address and credentials.
        dev = t.host
    s = p.netconf(dev)
    with _lock:
        _state.leases += 1
    return s


def leases() -> int:
    with _lock:
        return _state.leases
