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
pub mod inventory;
/// The workspace README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
/// docs/operating.md's Rust example (the `metrics` feature), compiled as a doctest.
#[cfg(all(doctest, feature = "metrics"))]
#[doc = include_str!("../../docs/operating.md")]
pub struct OperatingDoctests;

mod breaker;
mod builder;
mod channel;
mod checkout;
mod config;
mod config_change;
mod connect;
mod detached;
mod device;
mod due;
mod error;
mod guard;
mod host_key;
mod inner;
mod known_hosts;
mod maintenance;
mod meters;
#[cfg(feature = "metrics")]
pub mod metrics;
mod netconf;
mod park;
mod pool;
mod slot;
mod ssh;
mod stats;
mod sync;

pub use builder::PoolBuilder;
pub use config::{parse_duration, HostKeyPolicy, PoolConfig, SETTINGS};
pub use config_change::{CommitOutcome, ConfigChange, ConfigFormat, Datastore, LoadAction};
pub use device::{Auth, Device};
pub use error::{DiscardReason, Error, Result};
pub use guard::NetconfGuard;
pub use meters::{HistogramStats, RpcErrorKind, BUCKETS_SECONDS};
pub use netconf::RelayedReply;
pub use netconf_wire::{RpcError, RpcReply};
pub use pool::Pool;
pub use ssh::CliOutput;
pub use stats::DeviceStats;
