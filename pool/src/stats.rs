//! Per-device statistics.

use std::collections::BTreeMap;
use tokio::time::Instant;

use serde::Serialize;

use crate::error::DiscardReason;
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
    /// Connect attempts that failed (after retries).
    pub connect_failures: u64,
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
            in_use: slot.in_use.load(std::sync::atomic::Ordering::Relaxed),
            waiting: c.waiting,
            connecting: st.connecting,
            connects: c.connects,
            connect_failures: c.connect_failures,
            netconf_opened: c.netconf_opened,
            checkouts: c.checkouts,
            reused: slot.reused.load(std::sync::atomic::Ordering::Relaxed),
            discarded: c.discarded.clone(),
            breaker_open: st.breaker_open(Instant::now()),
            checkout_wait_us: wait,
        }
    }
}
