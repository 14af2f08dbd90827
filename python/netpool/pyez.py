"""PyEZ's ``Device`` on pooled NETCONF sessions.

``from netpool.pyez import Device`` in place of ``from jnpr.junos import Device``: the
same constructor, and PyEZ's own code for everything built on the device (``rpc.*``,
``cli``, facts, ``Config``, tables and views, PyEZ's exceptions). What changes is where the
session comes from:

- ``open()`` (or ``with Device(...)``) leases a NETCONF session from a process-wide pool
  keyed by host, port, user and credentials; it dials only when no pooled session is free.
  ``pool=`` takes a ``netpool.Pool`` instead (a name of its inventory may be the host).
- ``close()`` hands the session back: a private or exclusive configuration is closed,
  uncommitted changes discarded and the lock released first, so the next user never sees
  them (a session that cannot be cleaned is closed instead).
- Facts are shared between ``Device`` objects of one device for ``facts_ttl`` seconds
  (default 300; ``configure(facts_ttl=0)`` gathers them per ``Device`` as PyEZ does); a
  commit through this package, or ``facts_refresh()``, forgets them.

Settings: :func:`configure` or the ``NETPOOL_*`` environment variables (the names of
``netpool.SETTINGS``). :func:`stats` reports the pool. docs/python-pyez.md lists
the PyEZ features checked through this module and where the defaults differ from PyEZ's.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any, Dict, List, Tuple

from jnpr.junos import Device as _PyEZDevice
from jnpr.junos import exception as _ez
from jnpr.junos import jxml as _jxml
from jnpr.junos.device import DeviceSessionListener as _SessionListener

from . import _dropin
from . import errors as _np_errors
from . import ncclient as _pooled

__all__ = ["Device", "configure", "stats", "close"]


class _SharedFacts:
    """PyEZ facts per (host, port), shared for ``facts_ttl`` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_device: Dict[Tuple[str, int], Tuple[float, Dict[str, Any]]] = {}
        self.hits = 0
        self.misses = 0

    def adopt(self, key: Tuple[str, int]) -> Dict[str, Any]:
        ttl = _dropin.facts_ttl()
        with self._lock:
            entry = self._by_device.get(key)
            if entry is None or ttl <= 0 or time.monotonic() - entry[0] > ttl:
                self._by_device.pop(key, None)
                self.misses += 1
                return {}
            self.hits += 1
            facts = entry[1]
        return copy.deepcopy(facts)

    def keep(self, key: Tuple[str, int], facts: Dict[str, Any]) -> None:
        ttl = _dropin.facts_ttl()
        if ttl <= 0 or not facts:
            return
        facts = copy.deepcopy(facts)
        with self._lock:
            entry = self._by_device.get(key)
            if entry is None or time.monotonic() - entry[0] > ttl:
                self._by_device[key] = (time.monotonic(), facts)
            else:
                for k, v in facts.items():
                    entry[1].setdefault(k, v)

    def forget(self, key: Tuple[str, int], keys: Any = None) -> None:
        with self._lock:
            if keys is None:
                self._by_device.pop(key, None)
                return
            entry = self._by_device.get(key)
            if entry is not None:
                for k in (keys,) if isinstance(keys, str) else keys:
                    entry[1].pop(k, None)

    def count(self) -> int:
        with self._lock:
            return len(self._by_device)

    def clear(self) -> None:
        with self._lock:
            self._by_device.clear()


_facts = _SharedFacts()


class Device(_PyEZDevice):
    """``jnpr.junos.Device`` on a pooled NETCONF session (see the module's doc).

    Takes PyEZ's keywords, plus ``pool=`` (a ``netpool.Pool``). Console connections
    (``mode=``, ``port=23``, ``cs_user=``) and ``sock_fd``/``proxy_command`` are PyEZ's
    own business: they raise ``ValueError`` here."""

    def __new__(cls, *args: Any, **kwargs: Any) -> "Device":
        if kwargs.get("port") in (23, "23") or kwargs.get("mode") or kwargs.get("cs_user") is not None:
            raise ValueError(
                "netpool.pyez pools NETCONF over SSH; for a console (telnet/serial) "
                "connection use jnpr.junos.Device"
            )
        return object.__new__(cls)

    def __init__(self, *vargs: Any, pool: Any = None, **kvargs: Any) -> None:
        for k in ("sock_fd", "proxy_command"):
            if kvargs.get(k) is not None:
                raise ValueError(f"netpool.pyez.Device: {k}= is not supported (netpool dials itself)")
        super().__init__(*vargs, **kvargs)
        self._netpool_pool = pool

    def _facts_key(self) -> Tuple[str, int]:
        return (str(self._hostname), int(self._port))

    def open(self, *vargs: Any, **kvargs: Any) -> "Device":
        """Lease a session (PyEZ's ``open``): the ``ConnectError`` family on failure."""
        auto_probe = kvargs.get("auto_probe", self._auto_probe)
        if auto_probe != 0 and not self.probe(auto_probe):
            raise _ez.ProbeError(self)
        try:
            self._conn = _pooled._connect(
                pool=self._netpool_pool,
                host=self._hostname,
                port=self._port,
                username=self._auth_user,
                password=self._auth_password,
                key_filename=self._ssh_private_key_file,
                look_for_keys=self._look_for_keys is not False,
                hostkey_verify=bool(self._hostkey_verify),
                timeout=self._conn_open_timeout,
                device_params={"name": "junos", "local": False, "use_filter": self._use_filter},
            )
        except _np_errors.Error as e:
            raise self._connect_error(e) from e
        self._conn._session.add_listener(_SessionListener(self))
        if self._huge_tree:
            self._conn.huge_tree = True
        self.connected = True
        self._nc_transform = self.transform
        self._norm_transform = lambda: _jxml.normalize_xslt.encode("UTF-8")
        self._normalize = kvargs.get("normalize", self._normalize)
        if self._normalize is True:
            self.transform = self._norm_transform
        gather_facts = kvargs.get("gather_facts", self._gather_facts)
        if self._fact_style == "new":
            # PyEZ gathers new-style facts on first access; those another Device of this
            # router gathered within facts_ttl are known already.
            self.facts._cache = _facts.adopt(self._facts_key())
        elif gather_facts is True:
            self.facts_refresh()
        return self

    def _connect_error(self, e: _np_errors.Error) -> _ez.ConnectError:
        msg = str(e)
        err: _ez.ConnectError
        if isinstance(e, _np_errors.AuthenticationError):
            err = _ez.ConnectAuthError(self, msg)
        elif isinstance(e, _np_errors.ConfigError) and getattr(e, "setting", None) == "password":
            err = _ez.ConnectAuthError(self, msg)
        elif isinstance(e, _np_errors.ConnectRefused):
            err = _ez.ConnectRefusedError(self, msg)
        elif isinstance(e, (_np_errors.ConnectTimeout, _np_errors.CheckoutTimeout)):
            err = _ez.ConnectTimeoutError(self, msg)
        elif isinstance(e, _np_errors.ConnectError) and "lookup address" in msg:
            err = _ez.ConnectUnknownHostError(self, msg)
        else:
            err = _ez.ConnectError(self, msg)
        err._orig = e
        return err

    def close(self) -> None:
        """Hand the session back (PyEZ's ``close``), keeping the facts gathered."""
        if self.connected is True and self._conn is not None:
            session = self._conn._session
            if self._fact_style == "new":
                if session.committed:
                    _facts.forget(self._facts_key())
                else:
                    _facts.keep(self._facts_key(), dict(self.facts._cache))
        super().close()

    def facts_refresh(self, *vargs: Any, **kvargs: Any) -> Any:
        """PyEZ's ``facts_refresh``; the shared copy of those facts is forgotten too."""
        _facts.forget(self._facts_key(), kvargs.get("keys"))
        return super().facts_refresh(*vargs, **kvargs)

    def __repr__(self) -> str:
        return f"Device({self._hostname}, pooled by netpool)"


def configure(**settings: Any) -> None:
    """Settings of the shared pool: every name of ``netpool.SETTINGS`` (as keywords of
    ``netpool.Pool``), and ``facts_ttl`` (seconds; 0 gathers facts per ``Device``). Over
    the ``NETPOOL_*`` environment variables. Call it before the first ``open()``."""
    _dropin.configure(**settings)


def stats() -> Dict[str, Any]:
    """The shared pools' state: ``devices`` (``netpool.Pool.stats()`` for each device),
    ``leases`` (sessions leased by ``open()``/``connect()`` so far), and ``facts``
    (devices with shared facts, hits and misses at ``open()``, and the TTL)."""
    devices: List[Dict[str, Any]] = []
    for p in _dropin.pools():
        devices.extend(p.stats())
    return {
        "devices": devices,
        "leases": _dropin.leases(),
        "facts": {
            "devices": _facts.count(),
            "hits": _facts.hits,
            "misses": _facts.misses,
            "ttl": _dropin.facts_ttl(),
        },
    }


def close(grace: float = 5.0) -> None:
    """Close the shared pools and forget the shared facts; the next ``open()`` starts new
    ones (with the settings of a ``configure()`` called in between)."""
    _dropin.close(grace)
    _facts.clear()
