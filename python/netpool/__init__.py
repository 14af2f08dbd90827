"""netpool: a pool of SSH and NETCONF sessions to many network devices, in Rust.

Sync and asyncio APIs over one Rust pool (tokio): pre-authenticated sessions are reused,
dead ones replaced without an error to the caller, and the GIL is released for all network
work. See docs/python.md, and the type stubs beside this file.

- ``Pool`` / ``AsyncPool``: many devices, keyed by ``Device`` or inventory name.
- ``ConnectionPool`` / ``AsyncConnectionPool``: one host (hussh issue 83's shape).
- ``Connection`` / ``AsyncConnection``: one SSH connection with keepalives.
"""

import atexit as _atexit

from . import errors
from .errors import *  # noqa: F401,F403  (every exception: errors.__all__)
from ._netpool import _at_exit
from ._hosts import AsyncConnection as AsyncConnection
from ._hosts import AsyncConnectionPool as AsyncConnectionPool
from ._hosts import AsyncPooledConnection as AsyncPooledConnection
from ._hosts import Connection as Connection
from ._hosts import ConnectionPool as ConnectionPool
from ._hosts import PooledConnection as PooledConnection
from ._netpool import SETTINGS as SETTINGS
from ._netpool import AsyncNetconfSession as AsyncNetconfSession
from ._netpool import AsyncPool as AsyncPool
from ._netpool import Device as Device
from ._netpool import ExecResult as ExecResult
from ._netpool import NetconfSession as NetconfSession
from ._netpool import Pool as Pool

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
]
__all__ += errors.__all__
