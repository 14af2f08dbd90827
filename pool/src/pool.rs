//! The public face of the pool: [`Pool`] and its methods. The machinery lives beside it:
//! `inner` (shared state, give-back, shutdown), `slot` (a device's state machine),
//! `checkout` (leases and channel choice), `connect`, `detached` (tasks that outlive a
//! cancelled caller) and `maintenance`.

use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;
use tracing::Instrument;

use crate::checkout::channel_backoff;
use crate::config::PoolConfig;
use crate::device::Device;
use crate::error::{DiscardReason, Error, Result};
use crate::guard::NetconfGuard;
use crate::inner::PoolInner;
use crate::meters::{RpcErrorKind, Started};
use crate::ssh::{CliOutput, ExecError};
use crate::stats::DeviceStats;

/// A pool of SSH connections and NETCONF sessions to many devices.
///
/// Cheap to clone (an `Arc`). Build it with [`Pool::builder`] inside a tokio runtime.
#[derive(Clone)]
pub struct Pool {
    pub(crate) inner: Arc<PoolInner>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("devices", &self.inner.device_count())
            .finish()
    }
}

impl Pool {
    /// A builder with default settings.
    pub fn builder() -> crate::PoolBuilder {
        crate::PoolBuilder::default()
    }

    /// A pool with these settings. Must be called inside a tokio runtime (it starts the
    /// maintenance task, which holds only a weak reference: dropping the pool stops it).
    pub fn new(config: PoolConfig) -> Result<Pool> {
        config.validate()?;
        let rt = tokio::runtime::Handle::try_current().map_err(|_| Error::Config {
            setting: "runtime".into(),
            value: String::new(),
            reason: "netpool::Pool must be built inside a tokio runtime; synchronous code uses netpool::blocking::Pool".into(),
        })?;
        let inner = Arc::new(PoolInner::new(config, rt));
        let weak = Arc::downgrade(&inner);
        let period = inner.config.maintenance_interval;
        tokio::spawn(crate::maintenance::run(weak, period));
        Ok(Pool { inner })
    }

    /// The settings in force.
    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    /// Run one CLI command on an exec channel of a pooled connection.
    ///
    /// A dead connection met on the way is replaced without an error to the caller; an
    /// exec that outlives `rpc_timeout` discards its connection.
    pub async fn cli(&self, device: &Device, command: &str) -> Result<CliOutput> {
        let cfg = &self.inner.config;
        let deadline = tokio::time::Instant::now() + cfg.checkout_timeout;
        let span = tracing::debug_span!("netpool.cli", device = %device);
        async {
            let (lease, _) = self.inner.lease(device, deadline, false).await?;
            let mut transport_retries = 0;
            let mut rejections = 0;
            loop {
                let (cs, fresh) = self.inner.channel(&lease.slot, deadline).await?;
                let conn = cs.conn.clone();
                let started = Started::now();
                let res = self.inner.spawn_exec(cs, device, command).await;
                lease.slot.meters.finish(started, cli_error_kind(&res));
                conn.touch();
                let cs = conn;
                let mut st = lease.slot.state();
                match res {
                    Ok(Ok(out)) => {
                        if !fresh {
                            lease.slot.reused.fetch_add(1, Relaxed);
                        }
                        return Ok(out);
                    }
                    Err(_) => {
                        cs.mark_broken();
                        st.counters.discard(DiscardReason::RpcTimeout);
                        return Err(Error::RpcTimeout { device: device.label().to_string(), after: cfg.rpc_timeout });
                    }
                    Ok(Err(ExecError::NotStarted(e))) => {
                        if let Error::ChannelRejected { .. } = e {
                            drop(st);
                            if channel_backoff(&mut rejections, deadline).await {
                                continue;
                            }
                            return Err(e);
                        }
                        let transport = matches!(e, Error::Transport { .. });
                        if transport {
                            cs.mark_broken();
                            st.counters.discard(DiscardReason::Transport);
                        }
                        if transport && !fresh && transport_retries < 2 {
                            transport_retries += 1;
                            tracing::debug!(device = %device, "pooled connection failed before the command ran; retrying on another");
                            continue;
                        }
                        return Err(e);
                    }
                    Ok(Err(ExecError::Broken(e))) => {
                        cs.mark_broken();
                        st.counters.discard(DiscardReason::Transport);
                        return Err(e);
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Check out a NETCONF session. Idle sessions are reused (and health-checked first);
    /// otherwise one is opened on a pooled connection. Dropping the guard returns it.
    pub async fn netconf(&self, device: &Device) -> Result<NetconfGuard> {
        let cfg = &self.inner.config;
        let started = Instant::now();
        let deadline = started + cfg.checkout_timeout;
        let span = tracing::debug_span!("netpool.checkout", device = %device);
        async {
            let (lease, mut idle) = self.inner.lease(device, deadline, true).await?;
            let mut attempts = 0;
            let mut rejections = 0;
            loop {
                attempts += 1;
                if attempts > 1 {
                    idle = lease.slot.state().idle.pop();
                }
                if let Some(mut sess) = idle.take() {
                    // The checkout started a moment ago: one clock read serves both.
                    let now = if attempts == 1 { started } else { Instant::now() };
                    let why = if sess.expires_at.is_some_and(|t| now >= t) {
                        Some(DiscardReason::MaxLifetime)
                    } else if !sess.looks_alive() {
                        Some(DiscardReason::FailedHealthCheck)
                    } else if now > sess.check_due
                        && !sess.conn().ping(cfg.health_check_timeout).await
                    {
                        sess.conn().mark_broken();
                        Some(DiscardReason::FailedHealthCheck)
                    } else {
                        None
                    };
                    match why {
                        None => {
                            lease.slot.reused.fetch_add(1, Relaxed);
                            return Ok(NetconfGuard::new(lease, sess));
                        }
                        Some(why) => {
                            tracing::debug!(device = %device, ?why, "idle NETCONF session discarded at checkout; replacing");
                            lease.slot.count_discard(why);
                            let d = device.clone();
                            tokio::spawn(async move { sess.close(&d, Duration::from_millis(200)).await });
                            continue;
                        }
                    }
                }
                let (cs, fresh) = self.inner.channel(&lease.slot, deadline).await?;
                let conn = cs.conn.clone();
                match self.inner.spawn_open(cs, &lease.slot).await {
                    Ok(Ok(sess)) => {
                        if !fresh {
                            lease.slot.reused.fetch_add(1, Relaxed);
                        }
                        return Ok(NetconfGuard::new(lease, sess));
                    }
                    Ok(Err(e @ Error::ChannelRejected { .. })) => {
                        if channel_backoff(&mut rejections, deadline).await {
                            continue;
                        }
                        return Err(e);
                    }
                    Ok(Err(e)) => {
                        let transport = matches!(e, Error::Transport { .. } | Error::Protocol { .. });
                        if transport {
                            conn.mark_broken();
                            lease.slot.count_discard(DiscardReason::Transport);
                        }
                        if transport && !fresh && attempts < 3 {
                            continue;
                        }
                        return Err(e);
                    }
                    Err(_) => {
                        conn.mark_broken();
                        lease.slot.count_discard(DiscardReason::RpcTimeout);
                        return Err(Error::ConnectTimeout {
                            device: device.label().to_string(),
                            after: cfg.session_open_timeout,
                            stage: "netconf-hello",
                        });
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Lock, load, commit and unlock in one exclusive NETCONF session. A load or commit
    /// the device refuses (errors at any depth of its reply) is `Err(Error::Rpc)` with
    /// every error; the candidate's changes are then discarded and the session closed, so
    /// no lock or candidate change leaks and nothing is committed.
    pub async fn configure(
        &self,
        device: &Device,
        change: &crate::ConfigChange,
    ) -> Result<crate::CommitOutcome> {
        let mut g = self.netconf(device).await?;
        let res = async {
            g.lock().await?;
            g.load(change).await?;
            let out = g.commit(change.comment.as_deref()).await?;
            g.unlock().await?;
            Ok(out)
        }
        .await;
        if let Err(e) = &res {
            // The device refused (an rpc-error: the session still answers): throw the
            // candidate's changes away before the session goes, so that nothing of a
            // half-loaded change survives even on a device that keeps a dead session's
            // changes. Then close the session; it is never lent again.
            if matches!(e, Error::Rpc { .. }) {
                let _ = g.discard_changes().await;
                let _ = g.unlock().await;
            }
            g.discard();
        }
        res
    }

    /// Run `op` on every device with at most `concurrency` at once; one result per device,
    /// in the order given. One device's failure or hang does not hold up the others beyond
    /// their own bounds.
    pub async fn fan_out<T, F, Fut>(
        &self,
        devices: &[Device],
        concurrency: usize,
        op: F,
    ) -> Vec<(Device, Result<T>)>
    where
        F: Fn(Pool, Device) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        futures::stream::iter(devices.iter().cloned())
            .map(|d| {
                let fut = op(self.clone(), d.clone());
                async move { (d, fut.await) }
            })
            .buffered(concurrency.max(1))
            .collect()
            .await
    }

    /// Open connections to `device` until `n` exist (bounded by the per-device limit),
    /// so that the first calls do not pay for the handshake.
    pub async fn prewarm(&self, device: &Device, n: usize) -> Result<()> {
        let slot = self.inner.slot(device);
        let n = n.min(self.inner.config.max_connections_per_device);
        let mut tasks = Vec::new();
        {
            let mut st = slot.state();
            st.prune_dead();
            let have = st.conns.len() + st.connecting;
            for _ in have..n {
                st.breaker.admit(device.label(), Instant::now())?;
                st.connecting += 1;
                tasks.push(());
            }
        }
        let results =
            futures::future::join_all(tasks.iter().map(|_| self.inner.connect(&slot))).await;
        for r in results {
            drop(r?);
        }
        Ok(())
    }

    /// Per-device statistics.
    pub fn stats(&self) -> Vec<DeviceStats> {
        let mut out: Vec<DeviceStats> = self
            .inner
            .slots_snapshot()
            .iter()
            .map(|s| DeviceStats::of(s))
            .collect();
        out.sort_by(|a, b| a.device.cmp(&b.device));
        out
    }

    /// Stop lending, let in-flight work finish until `grace` has passed, then close every
    /// session politely (NETCONF close-session, SSH disconnect). Calls made afterwards get
    /// [`Error::Closed`].
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.shutdown(grace).await
    }

    /// Whether [`Pool::shutdown`] has been called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Relaxed)
    }
}

/// How a CLI command failed, for the device's error counters: a command the device
/// refused (output on stderr, a non-zero exit) counts as its `rpc_error`.
fn cli_error_kind(
    res: &std::result::Result<
        std::result::Result<CliOutput, ExecError>,
        tokio::time::error::Elapsed,
    >,
) -> Option<RpcErrorKind> {
    match res {
        Ok(Ok(out)) => (!out.success()).then_some(RpcErrorKind::RpcError),
        Ok(Err(ExecError::NotStarted(e) | ExecError::Broken(e))) => Some(RpcErrorKind::of(e)),
        Err(_) => Some(RpcErrorKind::Timeout),
    }
}
