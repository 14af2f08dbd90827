"""netpool.metrics: the pool's figures as Prometheus metrics, read by prometheus_client's
own exposition and parser (what a Prometheus server scrapes)."""

from __future__ import annotations

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
        registry = CollectorRegistry()
        netpool.metrics.register(pool, registry)
        text, got = scrape(registry)
        assert "# TYPE netpool_checkouts_total counter" in text, text
        assert "# TYPE netpool_connections gauge" in text, text
        labels = {s["device"]: s for s in pool.stats()}
        r1 = next(d for d in labels if d.endswith(f"{fleet.hosts[0][0]}:{fleet.hosts[0][1]}"))
        r2 = next(d for d in labels if d.endswith(f"{fleet.hosts[1][0]}:{fleet.hosts[1][1]}"))
        dev = lambda d: (("device", d),)  # noqa: E731
        # The counts are the calls made, and the gauges what the pool holds.
        assert got[("netpool_checkouts_total", dev(r1))] == 7
        assert got[("netpool_checkouts_total", dev(r2))] == 3
        # Reused: all but the first, or all seven: netpool counts the first checkout as
        # reused when it picks up the connection its own connect made through the device's
        # slot before the connect task's reply (a counting race noted in docs/operating.md).
        reused = got[("netpool_checkouts_reused_total", dev(r1))]
        assert reused == labels[r1]["reused"] and reused in (6, 7), reused
        assert got[("netpool_connections", dev(r1))] == labels[r1]["connections"] >= 1
        assert got[("netpool_sessions_in_use", dev(r1))] == 0
        assert got[("netpool_circuit_open", dev(r1))] == 0
        assert ("netpool_checkout_wait_p99_seconds", dev(r1)) in got
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
