"""Type stubs of the Rust extension (checked against it by mypy.stubtest in the test suite)."""

from os import PathLike
from typing import Any, Awaitable, Dict, List, Literal, Optional, Sequence, Union, final

_Path = Union[str, "PathLike[str]"]
_DeviceRef = Union["Device", str]
_Format = Literal["text", "xml", "json"]
_ConfigFormat = Literal["set", "text", "xml"]
_LoadAction = Literal["merge", "replace", "override"]
_Datastore = Literal["running", "candidate"]
_Transport = Literal["cli", "netconf"]

SETTINGS: List[str]
"""The name of every pool setting; each is a keyword of the pool classes."""

def _at_exit() -> None: ...

@final
class Device:
    """A device: where it is and who we are on it. ``password`` is never shown.

    ``key_path`` is an OpenSSH private key (tried before ``password`` when both are given);
    ``host_keys`` pins this device alone to these ``SHA256:...`` fingerprints.
    """

    def __new__(
        cls,
        host: str,
        username: str,
        password: Optional[str] = None,
        key_path: Optional[_Path] = None,
        port: int = 22,
        *,
        passphrase: Optional[str] = None,
        host_keys: Optional[Sequence[str]] = None,
        name: Optional[str] = None,
    ) -> "Device": ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def label(self) -> str:
        """``user@host:port``, as errors and stats name it."""
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def host_keys(self) -> List[str]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ExecResult:
    """The result of one command."""

    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def status(self) -> Optional[int]:
        """The exit status, or None when the device sent none."""
    @property
    def ok(self) -> bool:
        """Exit status 0 (or none) and nothing on stderr."""

@final
class Pool:
    """Many devices, one pool. Each call blocks its own thread with the GIL released.

    ``inventory`` is a TOML file as ``netlab`` reads it (devices by name, credentials by
    environment variable, pinned host keys, limits); ``devices`` adds ``Device`` objects;
    every other keyword is a setting of ``SETTINGS`` (durations in seconds or as ``"250ms"``,
    ``None`` to disable an optional one). A bad value raises ``ConfigError`` naming it.
    """

    def __new__(cls, inventory: Optional[_Path] = None, devices: Optional[Sequence[Device]] = None, **settings: Any) -> "Pool": ...
    @property
    def devices(self) -> List[Device]: ...
    @property
    def closed(self) -> bool: ...
    def cli(self, device: _DeviceRef, command: str) -> ExecResult:
        """One CLI command over an exec channel of a pooled SSH connection."""
    def rpc(self, device: _DeviceRef, xml: str) -> str:
        """One NETCONF RPC (the operation element); the reply's XML. ``RpcError`` carries
        every ``<rpc-error>``."""
    def command(self, device: _DeviceRef, command: str, format: _Format = "text") -> str:
        """A CLI command over NETCONF (``<command format=...>``)."""
    def configure(
        self,
        device: _DeviceRef,
        config: str,
        format: _ConfigFormat = "set",
        action: _LoadAction = "merge",
        comment: Optional[str] = None,
    ) -> str:
        """Lock, load, commit and unlock on one session; a refused load or commit is
        discarded, never left in the candidate. Returns the commit reply's XML."""
    def netconf(self, device: _DeviceRef) -> "NetconfSession":
        """Lease a NETCONF session for several RPCs (``with pool.netconf("r1") as nc``)."""
    def fan_out(
        self,
        command: str,
        devices: Optional[Sequence[_DeviceRef]] = None,
        *,
        transport: _Transport = "cli",
        format: _Format = "text",
        concurrency: int = 16,
    ) -> Dict[str, Union[ExecResult, str, BaseException]]:
        """One command on many devices (every device of the pool when ``devices`` is None):
        each device's name (or label) maps to its result, or to the exception it raised."""
    def fan_out_rpc(
        self, xml: str, devices: Optional[Sequence[_DeviceRef]] = None, *, concurrency: int = 16
    ) -> Dict[str, Union[str, BaseException]]: ...
    def prewarm(self, device: _DeviceRef, connections: int = 1) -> None: ...
    def stats(self) -> List[Dict[str, Any]]:
        """Per device: connections, channels, idle_sessions, in_use, waiting, connecting,
        connects, connect_failures, connect_failures_by_stage, netconf_opened, checkouts,
        reused, discarded (by reason), breaker_open, checkout_wait_us (p50, p99, max),
        rpcs, rpc_errors (by kind), keepalive_failures, and the histograms checkout_wait and
        rpc_latency (``buckets``: cumulative ``[upper bound s, count]``, ``sum`` s, ``count``)."""
    def close(self, grace: float = 5.0) -> None:
        """Stop lending, let calls in flight finish for up to ``grace`` seconds, then close
        every session politely."""
    def __enter__(self) -> "Pool": ...
    def __exit__(self, *exc: object) -> None: ...

@final
class NetconfSession:
    """A leased NETCONF session; leaving ``with`` hands it back (or closes it when it holds
    the lock or uncommitted changes, or an RPC was interrupted)."""

    @property
    def session_id(self) -> Optional[int]: ...
    @property
    def capabilities(self) -> List[str]: ...
    @property
    def device(self) -> str: ...
    def rpc(self, xml: str) -> str: ...
    def command(self, command: str, format: _Format = "text") -> str: ...
    def get_config(self, source: _Datastore = "running", filter: Optional[str] = None) -> str: ...
    def lock(self) -> None: ...
    def unlock(self) -> None: ...
    def load(self, config: str, format: _ConfigFormat = "set", action: _LoadAction = "merge") -> str: ...
    def commit(self, comment: Optional[str] = None) -> str: ...
    def commit_check(self) -> str: ...
    def discard_changes(self) -> None: ...
    def reset(self) -> None:
        """Close a private configuration, discard uncommitted changes and unlock, when the
        session holds any of them, so that it can be handed back rather than closed."""
    @property
    def needs_reset(self) -> bool: ...
    def _relay(self, message: str, timeout: Optional[float] = None) -> str:
        """Relay a whole ``<rpc>`` as a client library wrote it; the whole reply, rpc-errors
        included. ``timeout`` (seconds) replaces the pool's ``rpc_timeout``."""
    def close(self) -> None: ...
    def discard(self) -> None:
        """Close the session instead of handing it back."""
    def __enter__(self) -> "NetconfSession": ...
    def __exit__(self, *exc: object) -> None: ...

@final
class AsyncPool:
    """``Pool`` for asyncio: every method returns an awaitable that netpool's runtime
    completes; the event loop never waits. Cancelling a call leaks nothing."""

    def __new__(cls, inventory: Optional[_Path] = None, devices: Optional[Sequence[Device]] = None, **settings: Any) -> "AsyncPool": ...
    @property
    def devices(self) -> List[Device]: ...
    @property
    def closed(self) -> bool: ...
    def cli(self, device: _DeviceRef, command: str) -> Awaitable[ExecResult]: ...
    def rpc(self, device: _DeviceRef, xml: str) -> Awaitable[str]: ...
    def command(self, device: _DeviceRef, command: str, format: _Format = "text") -> Awaitable[str]: ...
    def configure(
        self,
        device: _DeviceRef,
        config: str,
        format: _ConfigFormat = "set",
        action: _LoadAction = "merge",
        comment: Optional[str] = None,
    ) -> Awaitable[str]: ...
    def netconf(self, device: _DeviceRef) -> "AsyncNetconfSession":
        """``async with pool.netconf("r1") as nc``: the session is leased on entry."""
    def fan_out(
        self,
        command: str,
        devices: Optional[Sequence[_DeviceRef]] = None,
        *,
        transport: _Transport = "cli",
        format: _Format = "text",
        concurrency: int = 16,
    ) -> Awaitable[Dict[str, Union[ExecResult, str, BaseException]]]: ...
    def fan_out_rpc(
        self, xml: str, devices: Optional[Sequence[_DeviceRef]] = None, *, concurrency: int = 16
    ) -> Awaitable[Dict[str, Union[str, BaseException]]]: ...
    def prewarm(self, device: _DeviceRef, connections: int = 1) -> Awaitable[None]: ...
    def stats(self) -> List[Dict[str, Any]]: ...
    def close(self, grace: float = 5.0) -> Awaitable[None]: ...
    def __aenter__(self) -> Awaitable["AsyncPool"]: ...
    def __aexit__(self, *exc: object) -> Awaitable[None]: ...

@final
class AsyncNetconfSession:
    """A NETCONF session for asyncio, leased by ``async with`` (or ``await open()``); calls
    on one session take turns."""

    @property
    def session_id(self) -> Optional[int]: ...
    @property
    def capabilities(self) -> List[str]: ...
    @property
    def device(self) -> str: ...
    def open(self) -> Awaitable["AsyncNetconfSession"]: ...
    def rpc(self, xml: str) -> Awaitable[str]: ...
    def command(self, command: str, format: _Format = "text") -> Awaitable[str]: ...
    def get_config(self, source: _Datastore = "running", filter: Optional[str] = None) -> Awaitable[str]: ...
    def lock(self) -> Awaitable[None]: ...
    def unlock(self) -> Awaitable[None]: ...
    def load(self, config: str, format: _ConfigFormat = "set", action: _LoadAction = "merge") -> Awaitable[str]: ...
    def commit(self, comment: Optional[str] = None) -> Awaitable[str]: ...
    def commit_check(self) -> Awaitable[str]: ...
    def discard_changes(self) -> Awaitable[None]: ...
    def close(self) -> Awaitable[None]: ...
    def discard(self) -> Awaitable[None]: ...
    def __aenter__(self) -> Awaitable["AsyncNetconfSession"]: ...
    def __aexit__(self, *exc: object) -> Awaitable[None]: ...
