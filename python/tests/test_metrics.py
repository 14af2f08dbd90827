"""netpool.metrics: the pool's figures as Prometheus metrics, read by prometheus_client's
own exposition and parser (what a Prometheus server scrapes)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

import netpool
import netpool.metrics


def scrape(registry):
    """{(metric sample name, labels as a sorted tuple): value} of one scrape."""
    text = generate_latest(registry).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return text, out


def test_a_scrape_carries_each_devices_figures_by_name_and_label(fleet):
    pool = netpool.Pool(inventory=fleet.inventory)
    try:
        for _ in range(7):
            pool.command("r1", "show version")
        for _ in range(3):
            pool.rpc("r2", "<get-software-information/>")
        with pytest.raises(netpool.RpcError):
            pool.rpc("r2", "<get-frobnication/>")
        registry = CollectorRegistry()
        netpool.metrics.register(pool, registry)
        text, got = scrape(registry)
        assert "# TYPE netpool_checkouts_total counter" in text, text
        assert "# TYPE netpool_connections gauge" in text, text
        assert "# TYPE netpool_rpc_duration_seconds histogram" in text, text
        labels = {s["device"]: s for s in pool.stats()}
        r1 = next(d for d in labels if d.endswith(f"{fleet.hosts[0][0]}:{fleet.hosts[0][1]}"))
        r2 = next(d for d in labels if d.endswith(f"{fleet.hosts[1][0]}:{fleet.hosts[1][1]}"))
        dev = lambda d: (("device", d),)  # noqa: E731
        # The counts are the calls made, and the gauges what the pool holds.
        assert got[("netpool_checkouts_total", dev(r1))] == 7
        assert got[("netpool_checkouts_total", dev(r2))] == 4
        # Reused: all but the first (the checkout whose connect made the connection is
        # not counted as reused, however the connect and the checkout interleave).
        reused = got[("netpool_checkouts_reused_total", dev(r1))]
        assert reused == labels[r1]["reused"] == 6, reused
        assert got[("netpool_connections", dev(r1))] == labels[r1]["connections"] >= 1
        assert got[("netpool_sessions_in_use", dev(r1))] == 0
        assert got[("netpool_circuit_open", dev(r1))] == 0
        assert got[("netpool_devices", ())] == 2
        # Requests: 7 commands to r1, 4 RPCs to r2 (one refused), each one timed.
        assert got[("netpool_rpcs_total", dev(r1))] == 7
        assert got[("netpool_rpcs_total", dev(r2))] == 4
        assert got[("netpool_rpc_errors_total", dev(r2) + (("kind", "rpc_error"),))] == 1
        assert ("netpool_rpc_errors_total", dev(r1) + (("kind", "rpc_error"),)) not in got
        assert got[("netpool_rpc_duration_seconds_count", dev(r2))] == 4
        assert got[("netpool_rpc_duration_seconds_bucket", dev(r2) + (("le", "+Inf"),))] == 4
        assert got[("netpool_rpc_duration_seconds_bucket", dev(r2) + (("le", "10.0"),))] == 4
        assert got[("netpool_checkout_wait_seconds_count", dev(r1))] == 7
        # Only the devices the pool holds have series (r3, r4 were never used).
        devices = {dict(k[1]).get("device") for k in got if k[0] == "netpool_connections"}
        assert devices == set(labels)
    finally:
        pool.close()


def test_discards_are_counted_by_reason_in_label_style():
    assert netpool.metrics._snake("IdleTimeout") == "idle_timeout"
    assert netpool.metrics._snake("FailedHealthCheck") == "failed_health_check"


def test_registering_does_not_scrape_the_pool():
    class Counting:
        calls = 0

        def stats(self):
            Counting.calls += 1
            return []

    registry = CollectorRegistry()
    c = netpool.metrics.register(Counting(), registry)
    assert Counting.calls == 0, "describe() must not ask the pool"
    scrape(registry)
    assert Counting.calls == 1
    registry.unregister(c)
