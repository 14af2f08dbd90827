"""Prometheus metrics for a netpool pool, read from ``pool.stats()`` at each scrape.

    from prometheus_client import REGISTRY, start_http_server
    import netpool, netpool.metrics

    pool = netpool.Pool(inventory="fleet.toml")
    netpool.metrics.register(pool)            # into prometheus_client's default registry
    start_http_server(9464)                   # /metrics

Nothing is counted twice: the collector asks the pool for its per-device figures when
Prometheus scrapes, so a device the pool no longer holds (forgotten after
``forget_device_after``) has no series. The names and meanings are those of the Rust
crate's ``netpool::metrics`` (Prometheus's conventions: ``netpool_`` prefix, ``_total``
counters, seconds), with a ``device`` label (``user@host:port``):

- gauges: ``netpool_devices`` (no label), ``netpool_connections``, ``netpool_channels``,
  ``netpool_idle_sessions``, ``netpool_sessions_in_use``, ``netpool_waiting_callers``,
  ``netpool_connecting``, ``netpool_circuit_open`` (1 while the circuit breaker refuses
  connects);
- counters: ``netpool_connects_total``, ``netpool_sessions_created_total``,
  ``netpool_checkouts_total``, ``netpool_checkouts_reused_total``, ``netpool_rpcs_total``,
  ``netpool_keepalive_failures_total``, ``netpool_connect_failures_total`` (label
  ``stage``: tcp, ssh-handshake, host-key, auth), ``netpool_discarded_total`` (label
  ``reason``), ``netpool_rpc_errors_total`` (label ``kind``: rpc_error, timeout, transport,
  protocol, rejected, other);
- histograms: ``netpool_checkout_wait_seconds``, ``netpool_rpc_duration_seconds``.

Needs ``prometheus_client`` (``pip install prometheus-client``); netpool itself does not.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Protocol

__all__ = ["PoolCollector", "register"]


class _HasStats(Protocol):
    def stats(self) -> List[Dict[str, Any]]: ...


# (metric, stats key, help); counters without their `_total`.
_GAUGES = [
    ("netpool_connections", "connections", "SSH connections open."),
    ("netpool_channels", "channels", "Channels open over those connections (in use and idle)."),
    ("netpool_idle_sessions", "idle_sessions", "Idle NETCONF sessions ready for reuse."),
    ("netpool_sessions_in_use", "in_use", "Sessions lent out now."),
    ("netpool_waiting_callers", "waiting", "Callers waiting for a session now."),
    ("netpool_connecting", "connecting", "Connects in flight now."),
    ("netpool_circuit_open", "breaker_open", "1 while the circuit breaker refuses connects."),
]
_COUNTERS = [
    ("netpool_connects", "connects", "SSH connections opened."),
    ("netpool_sessions_created", "netconf_opened", "NETCONF sessions opened."),
    ("netpool_checkouts", "checkouts", "Checkouts served."),
    ("netpool_checkouts_reused", "reused", "Checkouts served by an existing connection or session."),
    ("netpool_rpcs", "rpcs",
     "Requests sent: NETCONF RPCs (the pool's own cleanup RPCs too) and CLI commands."),
    ("netpool_keepalive_failures", "keepalive_failures",
     "Connections lost because the device stopped answering SSH keepalives."),
]
# (metric, stats key, label, help): counters by a second label.
_LABELLED = [
    ("netpool_connect_failures", "connect_failures_by_stage", "stage",
     "Connects that failed after retries, by the stage they stopped at (tcp, ssh-handshake, host-key, auth)."),
    ("netpool_discarded", "discarded", "reason", "Sessions and connections discarded, by reason."),
    ("netpool_rpc_errors", "rpc_errors", "kind",
     "Requests that failed, by kind (rpc_error, timeout, transport, protocol, rejected, other)."),
]
_HISTOGRAMS = [
    ("netpool_checkout_wait_seconds", "checkout_wait",
     "Time a checkout waited for its device's and the pool's permits."),
    ("netpool_rpc_duration_seconds", "rpc_latency", "Request latency, from sending it to the whole reply."),
]


class PoolCollector:
    """A ``prometheus_client`` collector over one pool (``Pool``, ``AsyncPool``,
    ``ConnectionPool``, ``AsyncConnectionPool``: anything with ``stats()``)."""

    def __init__(self, pool: _HasStats) -> None:
        self.pool = pool

    def describe(self) -> List[Any]:
        # Names only, so that registering does not scrape the pool.
        return list(self._families([]))

    def collect(self) -> Iterator[Any]:
        return self._families(self.pool.stats())

    @staticmethod
    def _families(stats: List[Dict[str, Any]]) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        yield GaugeMetricFamily(
            "netpool_devices", "Devices the pool knows now (each has the series below).", value=len(stats)
        )
        for name, key, doc in _GAUGES:
            g = GaugeMetricFamily(name, doc, labels=["device"])
            for s in stats:
                g.add_metric([s["device"]], float(s[key]))
            yield g
        for name, key, doc in _COUNTERS:
            c = CounterMetricFamily(name, doc, labels=["device"])
            for s in stats:
                c.add_metric([s["device"]], float(s[key]))
            yield c
        for name, key, label, doc in _LABELLED:
            c = CounterMetricFamily(name, doc, labels=["device", label])
            for s in stats:
                for value, n in sorted(s[key].items()):
                    c.add_metric([s["device"], _snake(value) if key == "discarded" else value], float(n))
            yield c
        for name, key, doc in _HISTOGRAMS:
            h = HistogramMetricFamily(name, doc, labels=["device"])
            for s in stats:
                hist = s[key]
                buckets = [(_le(le), float(n)) for le, n in hist["buckets"]]
                buckets.append(("+Inf", float(hist["count"])))
                h.add_metric([s["device"]], buckets, hist["sum"])
            yield h


def _le(bound: float) -> str:
    """A bucket bound as Prometheus's own clients write it (``0.005``, ``1.0``)."""
    return repr(float(bound))


def _snake(name: str) -> str:
    """``IdleTimeout`` -> ``idle_timeout``: a label value in Prometheus's usual style."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def register(pool: _HasStats, registry: Optional[Any] = None) -> PoolCollector:
    """Register a :class:`PoolCollector` for ``pool`` into ``registry`` (prometheus_client's
    default ``REGISTRY`` when None) and return it (``registry.unregister(c)`` removes it)."""
    if registry is None:
        from prometheus_client import REGISTRY as registry  # noqa: N811
    collector = PoolCollector(pool)
    registry.register(collector)
    return collector
