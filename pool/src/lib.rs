//! netpool: an SSH and NETCONF session pool for many network devices.
//!
//! Opening an SSH/NETCONF session to a Junos router costs about 0.6 s before the first RPC;
//! the RPC itself about 0.1 s. netpool keeps sessions open and lends them out:
//!
//! - two levels per device: SSH connections (shared), each multiplexing up to
//!   `channels_per_connection` channels; a NETCONF session is a long-lived channel
//!   (reserved by one caller at a time), a CLI command a short-lived exec channel;
//! - async on tokio, never holding a lock across an `.await`, so a slow or dead device
//!   never delays calls to others; [`blocking::Pool`] for synchronous code;
//! - FIFO-fair waiting, cancellation-safe checkouts (a dropped checkout never leaks a slot
//!   or a half-open connection), connect retry with backoff and jitter, a per-device
//!   circuit breaker and connect-rate limit;
//! - liveness by SSH keepalives, TCP keepalive and a bounded health check at checkout: a
//!   dead session found there is replaced without an error to the caller;
//! - sessions holding a lock or uncommitted changes, or that failed or timed out, are
//!   discarded, never lent again; idle timeout, max lifetime, prewarm; graceful shutdown.
//!
//! ```no_run
//! use netpool::{Device, HostKeyPolicy, Pool};
//! # async fn demo() -> netpool::Result<()> {
//! let pool = Pool::builder()
//!     .max_connections_per_device(2)
//!     .host_key_policy(HostKeyPolicy::AcceptNew(None))
//!     .build()?;
//! let r1 = Device::with_password("192.0.2.1", 22, "lab", "lab123");
//! let out = pool.cli(&r1, "show version").await?;
//! println!("{}", out.stdout);
//! let mut nc = pool.netconf(&r1).await?;
//! let text = nc.command("show ospf neighbor").await?;
//! drop(nc); // back to the pool
//! # let _ = text; Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod blocking;
/// The workspace README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

mod breaker;
mod config;
mod device;
mod error;
mod guard;
mod maintenance;
mod netconf;
mod pool;
mod ssh;
mod stats;

use std::time::Duration;

pub use config::{parse_duration, HostKeyPolicy, PoolConfig, SETTINGS};
pub use device::{Auth, Device};
pub use error::{DiscardReason, Error, Result};
pub use guard::{CommitOutcome, ConfigChange, ConfigFormat, Datastore, LoadAction, NetconfGuard};
pub use netconf_wire::{RpcError, RpcReply};
pub use pool::Pool;
pub use ssh::CliOutput;
pub use stats::DeviceStats;

/// Builds a [`Pool`]. Each setter's default is documented on [`PoolConfig`].
#[derive(Debug, Clone, Default)]
pub struct PoolBuilder {
    config: PoolConfig,
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident: $t:ty),* $(,)?) => {$(
        $(#[$m])*
        #[must_use]
        pub fn $name(mut self, v: $t) -> Self {
            self.config.$name = v;
            self
        }
    )*};
}

impl PoolBuilder {
    /// Start from these settings.
    #[must_use]
    pub fn config(mut self, config: PoolConfig) -> Self {
        self.config = config;
        self
    }

    setters! {
        /// SSH connections per device. Defaults to 2.
        max_connections_per_device: usize,
        /// Channels per SSH connection. Defaults to 10.
        channels_per_connection: usize,
        /// Sessions in use over the whole pool. Defaults to 1024.
        max_sessions_total: usize,
        /// Bound on TCP connect, banner and key exchange. Defaults to 10 s.
        connect_timeout: Duration,
        /// Bound on authentication. Defaults to 10 s.
        auth_timeout: Duration,
        /// Bound on opening a channel and the NETCONF hello. Defaults to 10 s.
        session_open_timeout: Duration,
        /// Bound on waiting for a session. Defaults to 30 s.
        checkout_timeout: Duration,
        /// Bound on one RPC or command. Defaults to 60 s.
        rpc_timeout: Duration,
        /// SSH keepalive interval. Defaults to 15 s.
        keepalive_interval: Option<Duration>,
        /// Unanswered keepalives before the connection is dead. Defaults to 3.
        keepalive_count_max: usize,
        /// TCP keepalive idle time. Defaults to 30 s.
        tcp_keepalive: Option<Duration>,
        /// Idle time after which a session is health-checked at checkout. Defaults to 10 s.
        health_check_after: Duration,
        /// Bound on the health check. Defaults to 2 s.
        health_check_timeout: Duration,
        /// Idle sessions and connections are closed after this. Defaults to 5 min.
        idle_timeout: Option<Duration>,
        /// Sessions and connections are retired after this age. Defaults to 1 h.
        max_lifetime: Option<Duration>,
        /// Connections kept open per known device. Defaults to 0.
        min_idle_connections: usize,
        /// Extra connect attempts after retryable failures. Defaults to 2.
        connect_retries: u32,
        /// First retry delay. Defaults to 100 ms.
        backoff_base: Duration,
        /// Largest retry delay. Defaults to 2 s.
        backoff_max: Duration,
        /// Consecutive connect failures that open the breaker (0 = off). Defaults to 3.
        breaker_threshold: u32,
        /// How long the breaker stays open. Defaults to 30 s.
        breaker_cooldown: Duration,
        /// New connections per minute per device. Defaults to none.
        connect_rate_per_minute: Option<u32>,
        /// Host key verification. Defaults to the user's known_hosts.
        host_key_policy: HostKeyPolicy,
        /// Maintenance period. Defaults to 1 s.
        maintenance_interval: Duration,
        /// Offer NETCONF base:1.1. Defaults to true.
        netconf_1_1: bool,
    }

    /// Validate and start the pool (inside a tokio runtime).
    pub fn build(self) -> Result<Pool> {
        Pool::new(self.config)
    }
}
