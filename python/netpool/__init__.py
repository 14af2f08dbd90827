"""netpool: a pool of SSH and NETCONF sessions to many network devices, in Rust.

Sync and asyncio APIs over one Rust pool (tokio): pre-authenticated sessions are reused,
dead ones replaced without an error to the caller, and the GIL is released for all network
work. See the README's Python section, and the type stubs beside this file.

- ``Pool`` / ``AsyncPool``: many devices, keyed by ``Device`` or inventory name.
- ``ConnectionPool`` / ``AsyncConnectionPool``: one host (hussh issue 83's shape).
- ``Connection`` / ``AsyncConnection``: one SSH connection with keepalives.
"""

import atexit as _atexit

from . import errors
from .errors import *  # noqa: F401,F403
from ._netpool import (  # noqa: F401
    SETTINGS,
    AsyncConnection,
    AsyncConnectionPool,
    AsyncNetconfSession,
    AsyncPool,
    AsyncPooledConnection,
    Connection,
    ConnectionPool,
    Device,
    ExecResult,
    NetconfSession,
    Pool,
    PooledConnection,
    _at_exit,
)

# Close open pools politely (bounded to one second) before the interpreter goes away, and
# keep netpool's threads from touching it afterwards.
_atexit.register(_at_exit)

__all__ = [
    "SETTINGS",
    "AsyncConnection",
    "AsyncConnectionPool",
    "AsyncNetconfSession",
    "AsyncPool",
    "AsyncPooledConnection",
    "Connection",
    "ConnectionPool",
    "Device",
    "ExecResult",
    "NetconfSession",
    "Pool",
    "PooledConnection",
] + errors.__all__
