//! The pool's figures for Prometheus (feature `metrics`), as a collector of the
//! Prometheus project's Rust client (`prometheus-client`), registered into a registry the
//! application owns:
//!
//! ```
//! use prometheus_client::registry::Registry;
//! # fn demo() -> netpool::Result<()> {
//! let pool = netpool::Pool::builder().build()?;
//! let mut registry = Registry::default();
//! pool.register_metrics(&mut registry);
//! let mut text = String::new();
//! prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
//! assert!(text.contains("# TYPE netpool_devices gauge"));
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(async { demo().unwrap() });
//! ```
//!
//! Everything is read from [`Pool::stats`] when scraped: the call path pays only for the
//! counters the pool keeps anyway and, with this feature, one latency histogram record per
//! request. Series carry a `device` label (`user@host:port`); a device the pool forgets
//! (nothing in the pool for `forget_device_after`) drops its series with it, so the
//! label's cardinality is the devices in use, not every device ever seen.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `netpool_devices` | gauge | |
//! | `netpool_connections`, `_channels`, `_idle_sessions`, `_sessions_in_use`, `_waiting_callers`, `_connecting`, `_circuit_open` | gauge | device |
//! | `netpool_connects_total`, `_sessions_created_total`, `_checkouts_total`, `_checkouts_reused_total`, `_rpcs_total`, `_keepalive_failures_total` | counter | device |
//! | `netpool_connect_failures_total` | counter | device, stage |
//! | `netpool_discarded_total` | counter | device, reason |
//! | `netpool_rpc_errors_total` | counter | device, kind |
//! | `netpool_checkout_wait_seconds`, `netpool_rpc_duration_seconds` | histogram | device |

use std::sync::Weak;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use crate::inner::PoolInner;
use crate::meters::HistogramStats;
use crate::pool::Pool;
use crate::stats::DeviceStats;

/// A [`Collector`] over one pool: registered with [`Pool::register_metrics`] (or by hand
/// with [`Registry::register_collector`]). It holds the pool weakly: a dropped pool
/// exports nothing.
#[derive(Debug)]
pub struct PoolCollector {
    pool: Weak<PoolInner>,
}

impl std::fmt::Debug for PoolInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolInner").finish_non_exhaustive()
    }
}

impl Pool {
    /// A collector of this pool's figures, for a `prometheus-client` registry.
    pub fn collector(&self) -> PoolCollector {
        PoolCollector {
            pool: std::sync::Arc::downgrade(&self.inner),
        }
    }

    /// Register this pool's figures with `registry` (see [`crate::metrics`]).
    pub fn register_metrics(&self, registry: &mut Registry) {
        registry.register_collector(Box::new(self.collector()));
    }
}

type Of<T> = fn(&DeviceStats) -> T;

const GAUGE: MetricType = MetricType::Gauge;
const COUNTER: MetricType = MetricType::Counter;

/// One row a family, per device: `"name" KIND => value, "help";`, the value an expression
/// of the device's stats `$s` (counters without their `_total`).
macro_rules! families {
    ($s:ident => $($name:literal $kind:ident => $value:expr, $help:literal;)*) => {
        [$(($name, $kind, $help, (|$s: &DeviceStats| $value) as Of<u64>),)*]
    };
}

/// Per device: (name, type, help, value).
#[rustfmt::skip]
const FAMILIES: [(&str, MetricType, &str, Of<u64>); 13] = families! { s =>
    "netpool_connections" GAUGE => s.connections as u64,
        "SSH connections open.";
    "netpool_channels" GAUGE => s.channels as u64,
        "Channels open over those connections (in use and idle).";
    "netpool_idle_sessions" GAUGE => s.idle_sessions as u64,
        "Idle NETCONF sessions ready for reuse.";
    "netpool_sessions_in_use" GAUGE => s.in_use as u64,
        "Sessions lent out now.";
    "netpool_waiting_callers" GAUGE => s.waiting as u64,
        "Callers waiting for a session now.";
    "netpool_connecting" GAUGE => s.connecting as u64,
        "Connects in flight now.";
    "netpool_circuit_open" GAUGE => u64::from(s.breaker_open),
        "1 while the circuit breaker refuses connects.";
    "netpool_connects" COUNTER => s.connects,
        "SSH connections opened.";
    "netpool_sessions_created" COUNTER => s.netconf_opened,
        "NETCONF sessions opened.";
    "netpool_checkouts" COUNTER => s.checkouts,
        "Checkouts served.";
    "netpool_checkouts_reused" COUNTER => s.reused,
        "Checkouts served by an existing connection or session.";
    "netpool_rpcs" COUNTER => s.rpcs,
        "Requests sent: NETCONF RPCs (the pool's own cleanup RPCs too) and CLI commands.";
    "netpool_keepalive_failures" COUNTER => s.keepalive_failures,
        "Connections lost because the device stopped answering SSH keepalives.";
};

/// Counters per device and one more label: (name without `_total`, label, help, values).
type ByLabel = fn(&DeviceStats) -> Vec<(&'static str, u64)>;
const BY_LABEL: [(&str, &str, &str, ByLabel); 3] = [
    (
        "netpool_connect_failures",
        "stage",
        "Connects that failed after retries, by the stage they stopped at (tcp, ssh-handshake, host-key, auth).",
        |s| s.connect_failures_by_stage.iter().map(|(k, n)| (*k, *n)).collect(),
    ),
    (
        "netpool_discarded",
        "reason",
        "Sessions and connections discarded, by reason.",
        |s| s.discarded.iter().map(|(k, n)| (k.label(), *n)).collect(),
    ),
    (
        "netpool_rpc_errors",
        "kind",
        "Requests that failed, by kind (rpc_error, timeout, transport, protocol, rejected, other).",
        |s| s.rpc_errors.iter().map(|(k, n)| (k.label(), *n)).collect(),
    ),
];

/// Histograms per device, in seconds: (name without the unit, help, value).
type OfHistogram = fn(&DeviceStats) -> &HistogramStats;
const HISTOGRAMS: [(&str, &str, OfHistogram); 2] = [
    (
        "netpool_checkout_wait",
        "Time a checkout waited for its device's and the pool's permits.",
        |s| &s.checkout_wait,
    ),
    (
        "netpool_rpc_duration",
        "Request latency, from sending it to the whole reply.",
        |s| &s.rpc_latency,
    ),
];

fn descriptor<'a>(
    enc: &'a mut DescriptorEncoder,
    name: &'a str,
    help: &str,
    unit: Option<&'a Unit>,
    kind: MetricType,
) -> Result<MetricEncoder<'a>, std::fmt::Error> {
    enc.encode_descriptor(name, help, unit, kind)
}

fn counter(m: &mut MetricEncoder, labels: &[(&str, &str)], n: u64) -> std::fmt::Result {
    m.encode_family(&labels)?
        .encode_counter::<NoLabelSet, _, u64>(&n, None)
}

/// The encoders take each bucket's own count (they add them up) and, for OpenMetrics,
/// the `+Inf` bucket among them.
fn histogram(m: &mut MetricEncoder, device: &str, h: &HistogramStats) -> std::fmt::Result {
    let mut below = 0;
    let mut own: Vec<(f64, u64)> = h
        .buckets
        .iter()
        .map(|&(le, cumulative)| {
            let n = cumulative - below;
            below = cumulative;
            (le, n)
        })
        .collect();
    own.push((f64::INFINITY, h.count - below));
    m.encode_family(&[("device", device)])?
        .encode_histogram::<NoLabelSet>(h.sum_seconds, h.count, &own, None)
}

impl Collector for PoolCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> std::fmt::Result {
        let Some(inner) = self.pool.upgrade() else {
            return Ok(());
        };
        let stats = Pool { inner }.stats();
        descriptor(
            &mut enc,
            "netpool_devices",
            "Devices the pool knows now (each has the series below).",
            None,
            MetricType::Gauge,
        )?
        .encode_gauge(&(stats.len() as u64))?;
        for (name, kind, help, of) in FAMILIES {
            let mut m = descriptor(&mut enc, name, help, None, kind)?;
            for s in &stats {
                let labels = [("device", s.device.as_str())];
                match kind {
                    MetricType::Gauge => m.encode_family(&labels)?.encode_gauge(&of(s))?,
                    _ => counter(&mut m, &labels, of(s))?,
                }
            }
        }
        for (name, label, help, of) in BY_LABEL {
            let mut m = descriptor(&mut enc, name, help, None, MetricType::Counter)?;
            for s in &stats {
                for (value, n) in of(s) {
                    counter(&mut m, &[("device", &s.device), (label, value)], n)?;
                }
            }
        }
        let seconds = Unit::Seconds;
        for (name, help, of) in HISTOGRAMS {
            let mut m = descriptor(&mut enc, name, help, Some(&seconds), MetricType::Histogram)?;
            for s in &stats {
                histogram(&mut m, &s.device, of(s))?;
            }
        }
        Ok(())
    }
}
