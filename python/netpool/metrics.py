"""Prometheus metrics for a netpool pool, read from ``pool.stats()`` at each scrape.

    from prometheus_client import REGISTRY, start_http_server
    import netpool, netpool.metrics

    pool = netpool.Pool(inventory="fleet.toml")
    netpool.metrics.register(pool)            # into prometheus_client's default registry
    start_http_server(9464)                   # /metrics

Nothing is counted twice and nothing runs on the call path: the collector asks the pool for
its per-device figures when Prometheus scrapes, so a device the pool no longer holds has no
series. Names follow Prometheus's conventions (``netpool_`` prefix, ``_total`` counters,
seconds), with a ``device`` label (``user@host:port``):

- gauges: ``netpool_connections``, ``netpool_channels``, ``netpool_idle_sessions``,
  ``netpool_sessions_in_use``, ``netpool_waiting_callers``, ``netpool_connecting``,
  ``netpool_circuit_open`` (1 while the circuit breaker refuses connects),
  ``netpool_checkout_wait_p50_seconds``, ``netpool_checkout_wait_p99_seconds`` and
  ``netpool_checkout_wait_max_seconds`` (a ``quantile`` label would make it a summary,
  which also carries a sum the pool does not keep);
- counters: ``netpool_connects_total``, ``netpool_connect_failures_total``,
  ``netpool_sessions_created_total``, ``netpool_checkouts_total``,
  ``netpool_checkouts_reused_total``, ``netpool_discarded_total`` (label ``reason``).

Needs ``prometheus_client`` (``pip install prometheus-client``); netpool itself does not.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Protocol

__all__ = ["PoolCollector", "register"]


class _HasStats(Protocol):
    def stats(self) -> List[Dict[str, Any]]: ...


# (metric, type, stats key or checkout-wait index, help); counters without their `_total`.
_FAMILIES = [
    ("netpool_connections", "gauge", "connections", "SSH connections open."),
    ("netpool_channels", "gauge", "channels", "Channels open over those connections (in use and idle)."),
    ("netpool_idle_sessions", "gauge", "idle_sessions", "Idle NETCONF sessions ready for reuse."),
    ("netpool_sessions_in_use", "gauge", "in_use", "Sessions lent out now."),
    ("netpool_waiting_callers", "gauge", "waiting", "Callers waiting for a session now."),
    ("netpool_connecting", "gauge", "connecting", "Connects in flight now."),
    ("netpool_circuit_open", "gauge", "breaker_open", "1 while the circuit breaker refuses connects."),
    ("netpool_checkout_wait_p50_seconds", "gauge", 0, "Checkout wait, median."),
    ("netpool_checkout_wait_p99_seconds", "gauge", 1, "Checkout wait, 99th percentile."),
    ("netpool_checkout_wait_max_seconds", "gauge", 2, "Checkout wait, maximum."),
    ("netpool_connects", "counter", "connects", "SSH connections opened."),
    ("netpool_connect_failures", "counter", "connect_failures", "Connect attempts that failed, after retries."),
    ("netpool_sessions_created", "counter", "netconf_opened", "NETCONF sessions opened."),
    ("netpool_checkouts", "counter", "checkouts", "Checkouts served."),
    ("netpool_checkouts_reused", "counter", "reused", "Checkouts served by an existing connection or session."),
]


def _value(s: Dict[str, Any], key: Any) -> float:
    """A figure of one device's stats: a key, or an index into its checkout wait (us)."""
    if isinstance(key, int):
        return s["checkout_wait_us"][key] / 1e6
    return float(s[key])


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
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        for name, kind, key, doc in _FAMILIES:
            make = GaugeMetricFamily if kind == "gauge" else CounterMetricFamily
            f = make(name, doc, labels=["device"])
            for s in stats:
                f.add_metric([s["device"]], _value(s, key))
            yield f
        discarded = CounterMetricFamily(
            "netpool_discarded", "Sessions and connections discarded, by reason.",
            labels=["device", "reason"],
        )
        for s in stats:
            for reason, n in sorted(s["discarded"].items()):
                discarded.add_metric([s["device"], _snake(reason)], float(n))
        yield discarded


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
