"""ncclient's ``manager.connect`` on a pooled NETCONF session.

``from netpool.ncclient import connect`` in place of ``from ncclient.manager import
connect``: the same keywords, and a real ncclient ``Manager`` back. Every operation
(``get``, ``get_config``, ``edit_config``, ``lock``, ``commit``, ``dispatch``, ``rpc``, the
Junos ones) is ncclient's own code, and so are the replies (``RPCReply``, ``NCElement``)
and the errors (``RPCError`` with ncclient's ``raise_mode``): only the transport under
them is netpool's. ``connect`` leases a session from a process-wide pool (dialling only
when none is free), and ``close_session()`` hands it back, reset first when it holds the
lock, uncommitted changes or a private configuration.

Differences from ncclient (see docs/python-pyez.md): no SSH agent, no ``sock``/``sock_fd``/proxy
command, no notifications; keys learned on first use in netpool's own known_hosts when
``hostkey_verify=False``.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, Optional, Union

from ncclient import manager as _manager
from ncclient.capabilities import Capabilities
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.operations.rpc import RPCReply, RPCReplyListener
from ncclient.transport import errors as _nc_errors
from ncclient.transport.session import NetconfBase, Session

from . import _dropin
from . import errors as _np_errors

__all__ = ["connect", "connect_ssh", "Manager", "PooledSession"]

_BASE_11 = "urn:ietf:params:netconf:base:1.1"


class PooledSession(Session):
    """An ncclient ``Session`` whose transport is a leased netpool session: ``send``
    relays the ``<rpc>`` ncclient wrote and hands the reply to ncclient's listeners, on
    the caller's thread, with the GIL released while the device works."""

    def __init__(
        self,
        device_handler: Any,
        lease: Any,
        relet: Callable[[], Any],
        timeout: Optional[float],
        host: str,
    ) -> None:
        Session.__init__(self, Capabilities(device_handler.get_capabilities()))
        self._device_handler = device_handler
        self._lease: Any = lease
        self._relet = relet
        self._timeout = timeout
        self._send_lock = threading.Lock()
        self.host = host
        #: Whether a commit was sent on this session (netpool.pyez then forgets the
        #: device's shared facts: a commit may change its hostname).
        self.committed = False
        self._adopt(lease)

    def _adopt(self, lease: Any) -> None:
        self._server_capabilities = Capabilities(lease.capabilities)
        sid = lease.session_id
        self._id = None if sid is None else str(sid)
        if _BASE_11 in self._server_capabilities and _BASE_11 in self._client_capabilities:
            self._base = NetconfBase.BASE_11
        self._connected = True

    def send(self, message: Union[str, bytes]) -> None:
        if isinstance(message, bytes):
            message = message.decode("utf-8")
        with self._send_lock:
            if not self._connected:
                raise _nc_errors.TransportError("Not connected to NETCONF server")
            if self._lease is None:
                # The last RPC timed out on a clean session: carry on with another one, as
                # an ncclient session carries on after a reply it gave up waiting for.
                try:
                    self._lease = self._relet()
                except _np_errors.Error as e:
                    self._lost(_nc_errors.TransportError(f"no NETCONF session: {e}"))
                    raise _nc_errors.TransportError(f"no NETCONF session: {e}") from e
                self._adopt(self._lease)
            lease = self._lease
            try:
                raw = lease._relay(message, self._timeout)
            except _np_errors.RpcTimeout as e:
                self._timed_out(lease, e)
                return
            except _np_errors.Error as e:
                self._lost(_nc_errors.TransportError(str(e)))
                return
        if "<commit" in message:
            self.committed = True
        self._dispatch_message(raw)

    def _timed_out(self, lease: Any, e: Exception) -> None:
        """netpool discarded the session; the RPC gets ncclient's timeout error. A session
        that held the lock or changes is gone with them, so it ends here; a clean one is
        replaced at the next send."""
        held = lease.needs_reset
        lease.discard()
        self._lease = None
        err = TimeoutExpiredError(f"ncclient timed out while waiting for an rpc reply ({e})")
        if held:
            self._lost(err)
            return
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            if isinstance(listener, RPCReplyListener):
                listener.errback(err)

    def _lost(self, err: Exception) -> None:
        self._connected = False
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.discard()
        self._dispatch_error(err)

    def hand_back(self) -> None:
        """Reset the session when it holds the lock, changes or a private configuration,
        then return it to the pool (close it when the reset fails)."""
        with self._send_lock:
            self._connected = False
            lease, self._lease = self._lease, None
        if lease is None:
            return
        try:
            if lease.needs_reset:
                lease.reset()
            lease.close()
        except _np_errors.Error:
            lease.discard()

    def close(self) -> None:
        self.hand_back()

    @property
    def transport(self) -> "_Transport":
        """What callers reach through ncclient's session for paramiko's transport (NAPALM
        sets keepalives and asks ``is_active()``): the pool keeps its own keepalives."""
        return _Transport(self)

    def run(self) -> None:  # ncclient's reader thread: there is none, send replies inline.
        return None


class _Transport:
    def __init__(self, session: PooledSession) -> None:
        self._session = session

    def set_keepalive(self, interval: int) -> None:
        """netpool sends SSH keepalives itself (keepalive_interval): nothing to do."""

    def is_active(self) -> bool:
        return bool(self._session.connected)


class Manager(_manager.Manager):
    """ncclient's ``Manager`` on a :class:`PooledSession`; ``close_session()`` hands the
    session back instead of closing it."""

    _session: PooledSession

    @property
    def timeout(self) -> Any:
        return self._timeout

    @timeout.setter
    def timeout(self, value: Any) -> None:
        self._timeout = value
        self._session._timeout = _seconds(value)

    def close_session(self) -> RPCReply:
        self._session.hand_back()
        reply = RPCReply('<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><ok/></rpc-reply>')
        reply.parse()
        return reply

    def __repr__(self) -> str:
        return f"<netpool.ncclient.Manager {self._session.host} session-id={self.session_id}>"


def _seconds(value: Any) -> Optional[float]:
    if value is None:
        return None
    t = float(value)
    return t if t > 0 else None


_NOT_POOLED = ("sock", "sock_fd", "bind_addr", "unknown_host_cb", "use_libssh")
_IGNORED = ("allow_agent", "keepalive", "environment", "gss_auth", "gss_kex",
            "gss_deleg_creds", "gss_host", "gss_trust_dns", "channel_name")


def _from_ssh_config(host: str, ssh_config: Any) -> Dict[str, Any]:
    """What an OpenSSH client config says about ``host`` (HostName, Port, User,
    IdentityFile), read by paramiko as ncclient reads it. A ProxyCommand is refused."""
    if not ssh_config:
        return {}
    import paramiko

    path = os.path.expanduser("~/.ssh/config" if ssh_config is True else str(ssh_config))
    if not os.path.exists(path):
        return {}
    conf = paramiko.SSHConfig.from_path(path).lookup(host)
    if conf.get("proxycommand") or conf.get("proxyjump"):
        raise ValueError(
            f"{path}: ProxyCommand/ProxyJump for {host}: netpool does not dial through a "
            "jump host; use ncclient itself for this device"
        )
    out: Dict[str, Any] = {"host": conf.get("hostname", host)}
    if "port" in conf:
        out["port"] = int(conf["port"])
    if "user" in conf:
        out["username"] = conf["user"]
    if conf.get("identityfile"):
        out["key_filename"] = conf["identityfile"]
    return out


def _nc_error(e: _np_errors.Error, host: str, port: int) -> Exception:
    """ncclient's exception for a failed lease, as ncclient raises it for a failed dial."""
    if isinstance(e, _np_errors.AuthenticationError):
        return _nc_errors.AuthenticationError(str(e))
    if isinstance(e, _np_errors.HostKeyError):
        return _nc_errors.SSHUnknownHostError(f"[{host}]:{port}", getattr(e, "fingerprint", None) or str(e))
    if isinstance(e, (_np_errors.ConnectError, _np_errors.CheckoutTimeout, _np_errors.CircuitOpen)):
        return _nc_errors.SSHError(f"Could not open socket to {host}:{port}: {e}")
    return _nc_errors.SSHError(str(e))


def _connect(pool: Any = None, **kwds: Any) -> Manager:
    """``connect`` raising netpool's errors (netpool.pyez maps them to PyEZ's)."""
    device_params = kwds.pop("device_params", None)
    manager_params = dict(kwds.pop("manager_params", None) or {})
    kwds.pop("nc_params", None)
    errors_params = kwds.pop("errors_params", None) or {}
    for k in _NOT_POOLED:
        if kwds.get(k) not in (None, False):
            raise ValueError(f"netpool.ncclient.connect: {k}= is not supported (netpool dials itself)")
        kwds.pop(k, None)
    for k in _IGNORED:
        kwds.pop(k, None)
    host = kwds.pop("host", None)
    if host is None:
        raise ValueError("netpool.ncclient.connect: host= is required")
    conf = _from_ssh_config(host, kwds.pop("ssh_config", None))
    port = kwds.pop("port", None) or conf.get("port", 830)
    username = kwds.pop("username", None) or conf.get("username")
    password = kwds.pop("password", None)
    key_filename = kwds.pop("key_filename", None) or conf.get("key_filename")
    look_for_keys = kwds.pop("look_for_keys", True)
    verify = kwds.pop("hostkey_verify", True)
    timeout = kwds.pop("timeout", None)
    if kwds:
        raise TypeError(f"netpool.ncclient.connect() got unexpected keyword argument {sorted(kwds)[0]!r}")
    if "timeout" not in manager_params and timeout is not None:
        manager_params["timeout"] = timeout
    manager_params["raise_mode"] = errors_params.get("raise_mode", manager_params.get("raise_mode", 2))
    handler = _manager.make_device_handler(device_params, errors_params.get("ignore_errors", []))
    target = _dropin.target(conf.get("host", host), port, username, password, key_filename,
                            look_for_keys is not False, bool(verify))
    lease = _dropin.lease(target, pool)
    session = PooledSession(
        handler, lease, lambda: _dropin.lease(target, pool),
        _seconds(manager_params.get("timeout", 30)), target.host,
    )
    return Manager(session, handler, **manager_params)


def connect(*args: Any, **kwds: Any) -> Manager:
    """``ncclient.manager.connect`` on a pooled session: the same keywords (``host``,
    ``port``, ``username``, ``password``, ``key_filename``, ``hostkey_verify``,
    ``look_for_keys``, ``ssh_config``, ``timeout``, ``device_params``,
    ``manager_params``, ``errors_params``), plus ``pool=`` (a ``netpool.Pool``; by
    default the process-wide one). Failures raise ncclient's exceptions
    (``AuthenticationError``, ``SSHUnknownHostError``, ``SSHError``), each with the
    netpool error as its ``__cause__``."""
    if args:
        kwds["host"] = args[0]
    host = kwds.get("host")
    port = kwds.get("port") or 830
    try:
        return _connect(**kwds)
    except _np_errors.ConfigError:
        raise
    except _np_errors.Error as e:
        raise _nc_error(e, str(host), int(port)) from e


connect_ssh = connect
