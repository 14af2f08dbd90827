"""One-host classes in hussh issue 83's shape, over the many-device pools of the extension:
``ConnectionPool`` / ``AsyncConnectionPool`` and ``Connection`` / ``AsyncConnection``."""

from __future__ import annotations

from os import PathLike
from typing import Any, Dict, List, Optional, Sequence, Tuple, TypeVar, Union

from ._netpool import AsyncNetconfSession, AsyncPool, Device, ExecResult, NetconfSession, Pool
from .errors import ConfigError

_Path = Union[str, "PathLike[str]"]
_H = TypeVar("_H", bound="_Host")


def _one_host(host: str, username: str, password: Optional[str], key_path: Optional[_Path], port: int,
              host_keys: Optional[Sequence[str]], settings: Dict[str, Any], max_connections: int,
              keepalive_interval: Optional[float], keepalive_count_max: int) -> Tuple[Device, Dict[str, Any]]:
    """The device and the pool settings of a one-host class."""
    if "max_connections_per_device" in settings:
        raise ConfigError("give max_connections here, not max_connections_per_device [stage: config]",
                          stage="config", setting="max_connections_per_device")
    device = Device(host, username, password, key_path, port, host_keys=host_keys)
    return device, {**settings, "max_connections_per_device": max_connections,
                    "keepalive_interval": keepalive_interval, "keepalive_count_max": keepalive_count_max}


class _PoolArgs:
    """The one-host pools' constructor, blocking or asyncio (``_pool_class``)."""

    _pool_class: Any
    _pool: Any

    def __init__(self, host: str, username: str, password: Optional[str] = None,
                 key_path: Optional[_Path] = None, port: int = 22, max_connections: int = 10,
                 keepalive_interval: Optional[float] = 15.0, keepalive_count_max: int = 3, *,
                 host_keys: Optional[Sequence[str]] = None, **settings: Any) -> None:
        self.device, kw = _one_host(host, username, password, key_path, port, host_keys, settings, max_connections,
                                    keepalive_interval, keepalive_count_max)
        self._pool = self._pool_class(devices=[self.device], **kw)


class _ConnectionArgs:
    """The one-connection classes' constructor, blocking or asyncio (``_pool_class``); a
    class's ``_opened`` runs last (the blocking one connects there)."""

    _pool_class: Any
    _pool: Any

    def __init__(self, host: str, username: str, password: Optional[str] = None,
                 key_path: Optional[_Path] = None, port: int = 22,
                 keepalive_interval: Optional[float] = 15.0, keepalive_count_max: int = 3, *,
                 host_keys: Optional[Sequence[str]] = None, **settings: Any) -> None:
        self.device, kw = _one_host(host, username, password, key_path, port, host_keys, settings, 1,
                                    keepalive_interval, keepalive_count_max)
        self._pool = self._pool_class(devices=[self.device], **kw)
        self._opened()

    def _opened(self) -> None:
        pass


class PooledConnection:
    """A command handle of a :class:`ConnectionPool`. Each ``execute`` runs on its own exec
    channel of a pooled connection; the handle reserves nothing, so any number may be open
    (the pool's limits bound what runs at once)."""

    def __init__(self, pool: Pool, device: Device) -> None:
        self._pool, self._device = pool, device

    def execute(self, command: str) -> ExecResult:
        return self._pool.cli(self._device, command)

    def __enter__(self) -> "PooledConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _Host:
    """What the one-host classes share, blocking: commands, NETCONF sessions and closing,
    on the one device of their pool."""

    device: Device
    _pool: Pool

    def execute(self, command: str) -> ExecResult:
        """Run one command."""
        return self._pool.cli(self.device, command)

    def netconf(self) -> NetconfSession:
        """Lease a NETCONF session on this host."""
        return self._pool.netconf(self.device)

    def close(self, grace: float = 5.0) -> None:
        """Close the pool: calls in flight finish for up to ``grace`` seconds."""
        self._pool.close(grace)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"netpool.{type(self).__name__}({self.device.label})"


class _AsyncHost:
    """:class:`_Host` for asyncio."""

    device: Device
    _pool: AsyncPool

    async def execute(self, command: str) -> ExecResult:
        """Run one command."""
        return await self._pool.cli(self.device, command)

    def netconf(self) -> AsyncNetconfSession:
        """``async with host.netconf() as nc:`` a NETCONF session on this host."""
        return self._pool.netconf(self.device)

    async def close(self, grace: float = 5.0) -> None:
        """Close the pool: calls in flight finish for up to ``grace`` seconds."""
        await self._pool.close(grace)

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"netpool.{type(self).__name__}({self.device.label})"


class ConnectionPool(_Host, _PoolArgs):
    """One host, up to ``max_connections`` pre-authenticated SSH connections, dead ones
    replaced without an error to the caller: ``with pool.connection() as conn:
    r = conn.execute("show version")``. Any other keyword is a pool setting
    (``netpool.SETTINGS``); host keys are verified unless ``host_keys`` pins them or
    ``host_key_policy`` says otherwise."""

    _pool_class = Pool

    def connection(self) -> PooledConnection:
        return PooledConnection(self._pool, self.device)

    def stats(self) -> List[Dict[str, Any]]:
        return self._pool.stats()


class Connection(_Host, _ConnectionArgs):
    """One SSH connection to one host, no pool, with keepalives (``keepalive_interval``,
    ``keepalive_count_max``). It connects when made, so a wrong password or host key fails
    here; a connection found dead is replaced at the next command."""

    _pool_class = Pool

    def _opened(self) -> None:
        try:
            self._pool.prewarm(self.device, 1)
        except BaseException:
            self._pool.close(0)
            raise


class AsyncPooledConnection:
    """A command handle of an :class:`AsyncConnectionPool`."""

    def __init__(self, pool: AsyncPool, device: Device) -> None:
        self._pool, self._device = pool, device

    async def execute(self, command: str) -> ExecResult:
        return await self._pool.cli(self._device, command)

    async def __aenter__(self) -> "AsyncPooledConnection":
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass


class AsyncConnectionPool(_AsyncHost, _PoolArgs):
    """:class:`ConnectionPool` for asyncio: ``async with pool.connection() as conn:
    r = await conn.execute("uptime")``."""

    _pool_class = AsyncPool

    def connection(self) -> AsyncPooledConnection:
        return AsyncPooledConnection(self._pool, self.device)

    def stats(self) -> List[Dict[str, Any]]:
        return self._pool.stats()

    async def __aenter__(self) -> "AsyncConnectionPool":
        return self


class AsyncConnection(_AsyncHost, _ConnectionArgs):
    """:class:`Connection` for asyncio, opened by ``await conn.connect()`` or ``async with``."""

    _pool_class = AsyncPool

    async def connect(self) -> "AsyncConnection":
        """Connect and authenticate now (a wrong password or host key fails here)."""
        await self._pool.prewarm(self.device, 1)
        return self

    async def __aenter__(self) -> "AsyncConnection":
        return await self.connect()
