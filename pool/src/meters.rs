//! What a device's calls cost and how they failed, counted without the device's lock:
//! requests sent, their failures by kind, keepalive failures and, with the `metrics`
//! feature, the request latency histogram. Plus the histogram snapshot type
//! [`DeviceStats`](crate::DeviceStats) reports them in.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::Serialize;

use crate::error::Error;

/// Why a request to a device failed, as `netpool_rpc_errors_total{kind}` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RpcErrorKind {
    /// The device answered with an `<rpc-error>` (or a CLI command wrote to stderr).
    RpcError,
    /// No answer within `rpc_timeout` (the session is discarded).
    Timeout,
    /// The connection broke under the request.
    Transport,
    /// The answer was not NETCONF (bad framing, no reply element).
    Protocol,
    /// The device refused the channel or the exec request.
    Rejected,
    /// Anything else (the request could not be sent as given, ...).
    Other,
}

impl RpcErrorKind {
    /// Every kind, in label order.
    pub const ALL: [RpcErrorKind; 6] = [
        RpcErrorKind::RpcError,
        RpcErrorKind::Timeout,
        RpcErrorKind::Transport,
        RpcErrorKind::Protocol,
        RpcErrorKind::Rejected,
        RpcErrorKind::Other,
    ];

    /// The label value: `rpc_error`, `timeout`, ...
    pub fn label(self) -> &'static str {
        match self {
            RpcErrorKind::RpcError => "rpc_error",
            RpcErrorKind::Timeout => "timeout",
            RpcErrorKind::Transport => "transport",
            RpcErrorKind::Protocol => "protocol",
            RpcErrorKind::Rejected => "rejected",
            RpcErrorKind::Other => "other",
        }
    }

    /// The kind of a request's error.
    pub fn of(e: &Error) -> RpcErrorKind {
        match e {
            Error::Rpc { .. } => RpcErrorKind::RpcError,
            Error::RpcTimeout { .. } => RpcErrorKind::Timeout,
            Error::Transport { .. } => RpcErrorKind::Transport,
            Error::Protocol { .. } => RpcErrorKind::Protocol,
            Error::ChannelRejected { .. }
            | Error::ExecRejected { .. }
            | Error::SubsystemRejected { .. } => RpcErrorKind::Rejected,
            _ => RpcErrorKind::Other,
        }
    }
}

/// The upper bounds (seconds) of the latency histograms' buckets: from a simulated
/// router's sub-millisecond reply to a checkout that waits out a long commit.
pub const BUCKETS_SECONDS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A latency histogram as Prometheus reads one: cumulative bucket counts (the count of
/// observations at or under each of [`BUCKETS_SECONDS`]; `count` is the `+Inf` bucket),
/// their sum and their count.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct HistogramStats {
    /// `(upper bound in seconds, observations at or under it)`, bounds ascending.
    pub buckets: Vec<(f64, u64)>,
    /// The observations' sum, seconds.
    pub sum_seconds: f64,
    /// Observations.
    pub count: u64,
}

impl HistogramStats {
    /// Cumulative buckets from per-bucket counts (the last one past every bound).
    pub(crate) fn from_counts(counts: &[u64; BUCKETS_SECONDS.len() + 1], sum: Duration) -> Self {
        let mut running = 0;
        let buckets = BUCKETS_SECONDS
            .iter()
            .zip(counts)
            .map(|(&le, &n)| {
                running += n;
                (le, running)
            })
            .collect();
        HistogramStats {
            buckets,
            sum_seconds: sum.as_secs_f64(),
            count: running + counts[BUCKETS_SECONDS.len()],
        }
    }
}

/// The bucket an observation falls in (the last: past every bound).
pub(crate) fn bucket_of(d: Duration) -> usize {
    let s = d.as_secs_f64();
    BUCKETS_SECONDS
        .iter()
        .position(|&le| s <= le)
        .unwrap_or(BUCKETS_SECONDS.len())
}

/// A latency histogram the call path records into with relaxed atomics.
#[cfg(feature = "metrics")]
#[derive(Default)]
pub(crate) struct AtomicHistogram {
    counts: [AtomicU64; BUCKETS_SECONDS.len() + 1],
    sum_ns: AtomicU64,
}

#[cfg(feature = "metrics")]
impl AtomicHistogram {
    pub(crate) fn record(&self, d: Duration) {
        self.counts[bucket_of(d)].fetch_add(1, Relaxed);
        self.sum_ns
            .fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }

    pub(crate) fn snapshot(&self) -> HistogramStats {
        let counts = std::array::from_fn(|i| self.counts[i].load(Relaxed));
        HistogramStats::from_counts(&counts, Duration::from_nanos(self.sum_ns.load(Relaxed)))
    }
}

/// One device's request counters.
#[derive(Default)]
pub(crate) struct Meters {
    rpcs: AtomicU64,
    rpc_errors: [AtomicU64; RpcErrorKind::ALL.len()],
    pub(crate) keepalive_failures: AtomicU64,
    #[cfg(feature = "metrics")]
    rpc_latency: AtomicHistogram,
}

/// A request under way: [`Meters::finish`] counts it.
pub(crate) struct Started {
    #[cfg(feature = "metrics")]
    at: tokio::time::Instant,
}

impl Started {
    /// A request is about to be sent (the clock is read only with the `metrics` feature).
    #[inline]
    pub(crate) fn now() -> Started {
        Started {
            #[cfg(feature = "metrics")]
            at: tokio::time::Instant::now(),
        }
    }
}

impl Meters {
    /// A request finished: counted, its error by kind, and (feature `metrics`) its time.
    #[inline]
    pub(crate) fn finish(&self, started: Started, error: Option<RpcErrorKind>) {
        #[cfg(feature = "metrics")]
        self.rpc_latency.record(started.at.elapsed());
        #[cfg(not(feature = "metrics"))]
        let _ = started;
        self.rpcs.fetch_add(1, Relaxed);
        if let Some(kind) = error {
            self.rpc_errors[kind as usize].fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn rpcs(&self) -> u64 {
        self.rpcs.load(Relaxed)
    }

    /// Errors by kind (kinds never seen left out).
    pub(crate) fn rpc_errors(&self) -> BTreeMap<RpcErrorKind, u64> {
        RpcErrorKind::ALL
            .iter()
            .map(|&k| (k, self.rpc_errors[k as usize].load(Relaxed)))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    #[cfg(feature = "metrics")]
    pub(crate) fn rpc_latency(&self) -> HistogramStats {
        self.rpc_latency.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "metrics")]
    #[test]
    fn buckets_are_cumulative_and_inclusive_of_their_bound() {
        let h = AtomicHistogram::default();
        for ms in [1, 1, 3, 60, 20_000] {
            h.record(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        assert_eq!(s.count, 5);
        let at = |le: f64| s.buckets.iter().find(|b| b.0 == le).unwrap().1;
        // 1 ms is in the 0.001 bucket (le: less than or equal).
        assert_eq!(at(0.001), 2);
        assert_eq!(at(0.005), 3);
        assert_eq!(at(0.1), 4);
        // 20 s is past the last bound: only in +Inf (count).
        assert_eq!(at(10.0), 4);
        assert!((s.sum_seconds - 20.065).abs() < 1e-9);
    }

    #[test]
    fn every_kind_has_its_own_counter() {
        let m = Meters::default();
        for k in RpcErrorKind::ALL {
            m.finish(Started::now(), Some(k));
        }
        m.finish(Started::now(), None);
        assert_eq!(m.rpcs(), 7);
        let errs = m.rpc_errors();
        assert_eq!(errs.len(), RpcErrorKind::ALL.len());
        assert!(errs.values().all(|&n| n == 1));
    }
}
