//! Per-device counters, readable in-process and printed by the binary.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

/// Live counters of one device.
#[derive(Debug, Default)]
pub struct Counters {
    pub(crate) tcp_accepts: AtomicU64,
    pub(crate) refused_by_limit: AtomicU64,
    pub(crate) auth_ok: AtomicU64,
    pub(crate) auth_failed: AtomicU64,
    pub(crate) channels: AtomicU64,
    pub(crate) channels_rejected: AtomicU64,
    pub(crate) netconf_sessions: AtomicU64,
    pub(crate) rpcs: AtomicU64,
    pub(crate) rpc_errors: AtomicU64,
    pub(crate) cli_commands: AtomicU64,
    pub(crate) sessions_open: AtomicU64,
    pub(crate) netconf_open: AtomicU64,
    pub(crate) channels_open: AtomicU64,
    pub(crate) bad_frames: AtomicU64,
    pub(crate) cut_pre_auth: AtomicU64,
}

/// A snapshot of a device's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CounterSnapshot {
    /// TCP connections accepted.
    pub tcp_accepts: u64,
    /// Connections closed at once by connection-limit, rate-limit or the cap on
    /// connections not logged in yet.
    pub refused_by_limit: u64,
    /// Successful SSH authentications.
    pub auth_ok: u64,
    /// Rejected SSH authentication attempts.
    pub auth_failed: u64,
    /// Channels opened.
    pub channels: u64,
    /// Channels refused (over the per-connection limit).
    pub channels_rejected: u64,
    /// NETCONF sessions started (subsystem or xml-mode).
    pub netconf_sessions: u64,
    /// RPCs served.
    pub rpcs: u64,
    /// RPCs answered with an rpc-error.
    pub rpc_errors: u64,
    /// CLI commands run (exec or shell).
    pub cli_commands: u64,
    /// SSH connections open now.
    pub sessions_open: u64,
    /// NETCONF sessions open now.
    pub netconf_open: u64,
    /// Channels open now.
    pub channels_open: u64,
    /// Malformed NETCONF frames or XML received.
    pub bad_frames: u64,
    /// Connections cut before login: no key exchange within the handshake timeout, or no
    /// login within the login grace time.
    pub cut_pre_auth: u64,
}

impl Counters {
    /// Read every counter.
    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            tcp_accepts: self.tcp_accepts.load(Relaxed),
            refused_by_limit: self.refused_by_limit.load(Relaxed),
            auth_ok: self.auth_ok.load(Relaxed),
            auth_failed: self.auth_failed.load(Relaxed),
            channels: self.channels.load(Relaxed),
            channels_rejected: self.channels_rejected.load(Relaxed),
            netconf_sessions: self.netconf_sessions.load(Relaxed),
            rpcs: self.rpcs.load(Relaxed),
            rpc_errors: self.rpc_errors.load(Relaxed),
            cli_commands: self.cli_commands.load(Relaxed),
            sessions_open: self.sessions_open.load(Relaxed),
            netconf_open: self.netconf_open.load(Relaxed),
            channels_open: self.channels_open.load(Relaxed),
            bad_frames: self.bad_frames.load(Relaxed),
            cut_pre_auth: self.cut_pre_auth.load(Relaxed),
        }
    }
}

/// Increments a gauge now and decrements it when dropped.
pub(crate) struct GaugeGuard<'a>(&'a AtomicU64);

impl<'a> GaugeGuard<'a> {
    pub(crate) fn new(g: &'a AtomicU64) -> Self {
        g.fetch_add(1, Relaxed);
        Self(g)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}
