//! Probes: ping and traceroute (as commands and RPCs) and the RPM tests' results, all
//! drawn from one set of simulated round-trip times.

use std::net::Ipv4Addr;

use super::X;
use crate::commands::Pieces;
use crate::junos_config::ConfigTree;
use crate::spec::DeviceSpec;

/// Round-trip times of the simulated probes, in microseconds.
const RTTS: [u32; 5] = [1_020, 1_450, 1_180, 1_230, 1_300];

/// The least, greatest and mean of some round-trip times (zeros for none).
fn spread(rtts: &[u32]) -> (u32, u32, u32) {
    let min = rtts.iter().min().copied().unwrap_or(0);
    let max = rtts.iter().max().copied().unwrap_or(0);
    let avg = rtts.iter().sum::<u32>() / (rtts.len() as u32).max(1);
    (min, max, avg)
}

/// `ping HOST [count N]`: answered when the router has a route to the host.
pub(super) fn ping(spec: &DeviceSpec, host: Ipv4Addr, count: u32) -> Pieces {
    let reachable = !spec.lookup(host).is_empty();
    let count = count.clamp(1, 100);
    let mut x = X::with_ns("ping-results", "junos-probe-tests", None);
    x.leaf("target-host", host)
        .leaf("target-ip", host)
        .leaf("packet-size", 56);
    let rtts: Vec<u32> = (0..count).map(|n| RTTS[n as usize % RTTS.len()]).collect();
    if reachable {
        for (n, rtt) in rtts.iter().enumerate() {
            x.open("probe-result")
                .leaf("probe-index", n + 1)
                .flag("probe-success")
                .leaf("sequence-number", n)
                .leaf("ip-address", host)
                .leaf("time-to-live", 64)
                .leaf("response-size", 64)
                .leaf("rtt", rtt)
                .close("probe-result");
        }
    }
    let received = if reachable { count } else { 0 };
    x.open("probe-results-summary")
        .leaf("probes-sent", count)
        .leaf("responses-received", received)
        .leaf("packet-loss", if reachable { 0 } else { 100 });
    if reachable {
        let (min, max, avg) = spread(&rtts);
        x.leaf("rtt-minimum", min)
            .leaf("rtt-maximum", max)
            .leaf("rtt-average", avg)
            .leaf("rtt-stddev", (max - min) / 2);
    }
    x.close("probe-results-summary");
    if reachable {
        x.flag("ping-success");
    } else {
        x.flag("ping-failure");
    }
    x.done("ping-results")
}

/// `traceroute HOST`: one hop to a host the router has a route to.
pub(super) fn traceroute(spec: &DeviceSpec, host: Ipv4Addr) -> Pieces {
    let mut x = X::with_ns("traceroute-results", "junos-traceroute", None);
    x.leaf("target-host", host)
        .leaf("target-ip", host)
        .leaf("max-hops", 30)
        .leaf("packet-size", 52);
    if spec.lookup(host).is_empty() {
        x.leaf("traceroute-failure", "no route to host");
        return x.done("traceroute-results");
    }
    x.open("hop").leaf("ttl-value", 1);
    for (n, rtt) in RTTS.iter().take(3).enumerate() {
        x.open("probe-result")
            .leaf("probe-index", n + 1)
            .leaf("ip-address", host)
            .leaf("host-name", host)
            .leaf("rtt", rtt)
            .close("probe-result");
    }
    x.close("hop");
    x.done("traceroute-results")
}

/// `get-probe-results` (RPM): a result per configured test (`services rpm probe P test
/// T`), its round trips drawn from the simulated probes' times. None when none is
/// configured (the factory configuration has none).
pub(super) fn probe_results(spec: &DeviceSpec, config: &ConfigTree) -> Pieces {
    let mut x = X::with_ns("probe-results", "junos-rpm", None);
    for probe in config.entries(&["services", "rpm"], "probe") {
        for test in config.entries(&["services", "rpm", "probe", &probe], "test") {
            let at = |leaf: &str| {
                config
                    .value(&["services", "rpm", "probe", &probe, "test", &test, leaf])
                    .map(str::to_string)
            };
            let target = at("target")
                .or_else(|| {
                    config
                        .value(&[
                            "services", "rpm", "probe", &probe, "test", &test, "target", "address",
                        ])
                        .map(str::to_string)
                })
                .unwrap_or_default();
            let reachable = target
                .parse::<Ipv4Addr>()
                .is_ok_and(|a| !spec.lookup(a).is_empty());
            let count: u32 = at("probe-count").and_then(|c| c.parse().ok()).unwrap_or(1);
            let rtts: Vec<u32> = (0..count.clamp(1, 15))
                .map(|n| RTTS[n as usize % RTTS.len()])
                .collect();
            let last = *rtts.last().expect("at least one probe");
            x.open("probe-test-results")
                .leaf("owner", &probe)
                .leaf("test-name", &test)
                .leaf("target-address", &target)
                .leaf(
                    "probe-type",
                    at("probe-type").unwrap_or_else(|| "icmp-ping".into()),
                )
                .leaf("test-size", count)
                .open("probe-single-results")
                .leaf(
                    "probe-status",
                    if reachable {
                        "Response received"
                    } else {
                        "Request timed out"
                    },
                )
                .leaf_attr(
                    "probe-time",
                    "junos:seconds",
                    crate::clock::unix_now(),
                    crate::commands::now_str(),
                )
                .leaf("hardware-timestamp-status", "No hardware timestamps")
                .leaf("rtt", if reachable { last } else { 0 })
                .leaf("round-trip-jitter", if reachable { 20 } else { 0 })
                .leaf(
                    "round-trip-interarrival-jitter",
                    if reachable { 35 } else { 0 },
                )
                .close("probe-single-results");
            for scope in [
                "probe-test-current-results",
                "probe-last-test-results",
                "probe-test-global-results",
            ] {
                probe_summary(&mut x, scope, &rtts, reachable);
            }
            x.close("probe-test-results");
        }
    }
    x.done("probe-results")
}

/// One scope of an RPM test's results (current, last or global test): the round-trip
/// times' summary, and the jitter between consecutive probes, rises and falls apart, as
/// Junos summarizes them.
fn probe_summary(x: &mut X, scope: &str, rtts: &[u32], reachable: bool) {
    let sent = rtts.len();
    let received = if reachable { sent } else { 0 };
    x.open(scope).open("probe-test-generic-results");
    if scope == "probe-last-test-results" {
        x.open("probe-last-test-info")
            .leaf_attr(
                "last-test-time",
                "junos:seconds",
                crate::clock::unix_now(),
                crate::commands::now_str(),
            )
            .close("probe-last-test-info");
    }
    x.leaf(
        "results-scope",
        scope
            .trim_start_matches("probe-")
            .trim_end_matches("-results"),
    )
    .leaf("probes-sent", sent)
    .leaf("probe-responses", received)
    .leaf("loss-percentage", if reachable { 0 } else { 100 });
    if reachable {
        let steps: Vec<i64> = rtts
            .windows(2)
            .map(|w| i64::from(w[1]) - i64::from(w[0]))
            .collect();
        let rises: Vec<u32> = steps
            .iter()
            .filter(|d| **d > 0)
            .map(|d| *d as u32)
            .collect();
        let falls: Vec<u32> = steps
            .iter()
            .filter(|d| **d < 0)
            .map(|d| d.unsigned_abs() as u32)
            .collect();
        for (block, kind, samples) in [
            ("probe-test-rtt", "Round trip time", rtts),
            (
                "probe-test-positive-round-trip-jitter",
                "Positive round trip jitter",
                &rises[..],
            ),
            (
                "probe-test-negative-round-trip-jitter",
                "Negative round trip jitter",
                &falls[..],
            ),
        ] {
            summary_results(x, block, kind, samples);
        }
    }
    x.close("probe-test-generic-results").close(scope);
}

/// A `probe-summary-results` block: count, least, greatest, mean, spread, standard
/// deviation and sum of some delays in microseconds, each with Junos's `format`.
fn summary_results(x: &mut X, block: &str, kind: &str, delays: &[u32]) {
    let (min, max, avg) = spread(delays);
    let n = delays.len().max(1) as f64;
    let mean = delays.iter().map(|d| f64::from(*d)).sum::<f64>() / n;
    let stddev = (delays
        .iter()
        .map(|d| (f64::from(*d) - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt()
        .round() as u32;
    let sum: u32 = delays.iter().sum();
    x.open(block)
        .open("probe-summary-results")
        .leaf("probe-results-type", kind)
        .leaf("samples", delays.len());
    for (name, v) in [
        ("min-delay", min),
        ("max-delay", max),
        ("avg-delay", avg),
        ("jitter-delay", max - min),
        ("stddev-delay", stddev),
        ("sum-delay", sum),
    ] {
        x.leaf_attr(name, "format", format!("{v} usec"), v);
    }
    x.close("probe-summary-results").close(block);
}
