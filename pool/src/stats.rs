//! Per-device statistics.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use tokio::time::Instant;

use serde::Serialize;

use crate::error::DiscardReason;
use crate::meters::{HistogramStats, RpcErrorKind};
use crate::slot::Slot;

/// A snapshot of one device's share of the pool.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DeviceStats {
    /// `user@host:port`.
    pub device: String,
    /// SSH connections open.
    pub connections: usize,
    /// Channels open over those connections (in use and idle).
    pub channels: usize,
    /// Idle NETCONF sessions ready for reuse.
    pub idle_sessions: usize,
    /// Sessions lent out now.
    pub in_use: usize,
    /// Callers waiting for a session now.
    pub waiting: usize,
    /// Connects in flight now.
    pub connecting: usize,
    /// SSH connections opened so far.
    pub connects: u64,
    /// Connects that failed (after retries).
    pub connect_failures: u64,
    /// Those failures by the stage they stopped at: `tcp`, `ssh-handshake`, `host-key`,
    /// `auth` (see [`crate::Error::connect_stage`]).
    pub connect_failures_by_stage: BTreeMap<&'static str, u64>,
    /// NETCONF sessions opened so far.
    pub netconf_opened: u64,
    /// Checkouts served.
    pub checkouts: u64,
    /// Checkouts served by an existing connection or session.
    pub reused: u64,
    /// Sessions and connections discarded, by reason.
    pub discarded: BTreeMap<DiscardReason, u64>,
    /// Whether the circuit breaker refuses connects now.
    pub breaker_open: bool,
    /// Checkout wait, microseconds: p50, p99, max.
    pub checkout_wait_us: [u64; 3],
    /// Checkout wait as a histogram (immediate checkouts in the lowest bucket).
    pub checkout_wait: HistogramStats,
    /// Requests sent: NETCONF RPCs (the pool's own cleanup RPCs too) and CLI commands,
    /// each attempt counted.
    pub rpcs: u64,
    /// Those that failed, by kind (kinds never seen left out).
    pub rpc_errors: BTreeMap<RpcErrorKind, u64>,
    /// Connections lost because the device stopped answering SSH keepalives.
    pub keepalive_failures: u64,
    /// Request latency, from send to the whole reply (feature `metrics`).
    #[cfg(feature = "metrics")]
    pub rpc_latency: HistogramStats,
}

impl DeviceStats {
    pub(crate) fn of(slot: &Slot) -> DeviceStats {
        let st = slot.state();
        let wait = st.counters.wait_quantiles();
        let (conns, channels) = st.conn_summary();
        let c = &st.counters;
        DeviceStats {
            device: slot.device.label().to_string(),
            connections: conns,
            channels,
            idle_sessions: st.idle.len(),
            in_use: slot.in_use.load(Relaxed),
            waiting: c.waiting,
            connecting: st.connecting,
            connects: c.connects,
            connect_failures: c.connect_failures,
            connect_failures_by_stage: c.connect_failures_by_stage.clone(),
            netconf_opened: c.netconf_opened,
            checkouts: c.checkouts,
            reused: slot.reused.load(Relaxed),
            discarded: c.discarded.clone(),
            breaker_open: st.breaker_open(Instant::now()),
            checkout_wait_us: wait,
            checkout_wait: c.wait_histogram(),
            rpcs: slot.meters.rpcs(),
            rpc_errors: slot.meters.rpc_errors(),
            keepalive_failures: slot.meters.keepalive_failures.load(Relaxed),
            #[cfg(feature = "metrics")]
            rpc_latency: slot.meters.rpc_latency(),
        }
    }
}
