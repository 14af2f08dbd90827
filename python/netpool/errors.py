"""The exceptions netpool raises: one hierarchy under :class:`Error`, mirroring the Rust
pool's error kinds. Every exception carries ``device`` (``user@host:port``, or ``None`` when
no device is involved) and ``stage`` (where it failed: ``tcp``, ``ssh-handshake``, ``auth``,
``host-key``, ``checkout``, ``channel``, ``netconf-hello``, ``rpc``, ``transport``,
``config``, ``fork``, ``closed``), and its message names both.

Timeouts are also :class:`TimeoutError`, connection failures also :class:`ConnectionError`
and bad settings also :class:`ValueError`, so generic handlers catch them too.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

__all__ = [
    "Error",
    "ConfigError",
    "ConnectError",
    "ConnectRefused",
    "ConnectTimeout",
    "AuthenticationError",
    "HostKeyError",
    "ChannelError",
    "TransportError",
    "ProtocolError",
    "RpcError",
    "RpcErrorInfo",
    "RpcTimeout",
    "CheckoutTimeout",
    "CircuitOpen",
    "PoolClosed",
    "ForkError",
]


class Error(Exception):
    """Base of every netpool exception."""

    device: Optional[str]
    stage: Optional[str]

    def __init__(self, message: str, *, device: Optional[str] = None, stage: Optional[str] = None, **extra: Any) -> None:
        super().__init__(message)
        self.device = device
        self.stage = stage
        for k, v in extra.items():
            setattr(self, k, v)


class ConfigError(Error, ValueError):
    """A setting has an invalid value (``setting`` names it) or an inventory is invalid."""

    setting: Optional[str]


class ConnectError(Error, ConnectionError):
    """The device could not be reached (TCP or SSH handshake failed)."""


class ConnectRefused(ConnectError, ConnectionRefusedError):
    """TCP connect was refused: nothing listens on the port."""


class ConnectTimeout(ConnectError, TimeoutError):
    """TCP connect, the SSH banner, key exchange or authentication ran past its bound
    (``after``, seconds)."""

    after: float


class AuthenticationError(Error):
    """The device refused the credentials (``user``, ``methods`` tried)."""

    user: str
    methods: str


class HostKeyError(Error):
    """The device's host key is unknown, changed, revoked, or known_hosts is unusable
    (``fingerprint`` is the key presented, when there is one)."""

    fingerprint: Optional[str]


class ChannelError(Error):
    """The device refused a channel, the ``netconf`` subsystem or an exec request."""


class TransportError(Error, ConnectionError):
    """An established SSH connection or channel broke."""


class ProtocolError(Error):
    """The device sent something that is not valid NETCONF, or a message could not be
    framed safely."""


class RpcErrorInfo:
    """One ``<rpc-error>`` of a reply."""

    __slots__ = ("severity", "tag", "type", "message", "path", "bad_element", "app_tag", "info")

    def __init__(
        self,
        severity: str,
        tag: str,
        type: str,
        message: Optional[str],
        path: Optional[str],
        bad_element: Optional[str],
        app_tag: Optional[str],
        info: Dict[str, str],
    ) -> None:
        self.severity = severity
        self.tag = tag
        self.type = type
        self.message = message
        self.path = path
        self.bad_element = bad_element
        self.app_tag = app_tag
        self.info = info

    def __repr__(self) -> str:
        return (
            f"RpcErrorInfo(severity={self.severity!r}, tag={self.tag!r}, type={self.type!r}, "
            f"message={self.message!r}, path={self.path!r}, bad_element={self.bad_element!r})"
        )


class RpcError(Error):
    """The device answered with at least one ``<rpc-error>`` of severity error.
    ``errors`` holds every one of them, in order; the session stays usable."""

    errors: List[RpcErrorInfo]


class RpcTimeout(Error, TimeoutError):
    """An RPC or command ran past ``rpc_timeout`` (``after``, seconds); its session was
    discarded."""

    after: float


class CheckoutTimeout(Error, TimeoutError):
    """No session could be had within ``checkout_timeout`` (``after``, seconds)."""

    after: float


class CircuitOpen(Error):
    """The device failed ``failures`` connects in a row; calls fail fast for ``retry_in``
    more seconds."""

    retry_in: float
    failures: int


class PoolClosed(Error):
    """The pool (or the session) was closed."""


class ForkError(Error):
    """A pool or session made before ``os.fork()`` was used in the child. Create pools after
    forking (in each gunicorn/uvicorn worker, in the multiprocessing target)."""
