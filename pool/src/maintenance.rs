//! The background maintenance task: retire idle, old and dead sessions and connections, and
//! keep `min_idle_connections` open. A pass looks only at the devices with something due
//! (see [`crate::due::Due`]). It holds only a weak reference to the pool, so
//! dropping the last `Pool` handle ends it.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::DiscardReason;
use crate::inner::PoolInner;
use crate::netconf::NetconfSession;
use crate::ssh::SshConn;

pub(crate) async fn run(pool: Weak<PoolInner>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut pruned = Instant::now();
    loop {
        tick.tick().await;
        let Some(inner) = pool.upgrade() else { break };
        if inner.closed.load(Relaxed) {
            break;
        }
        inner.maintain();
        // Devices the pool has not used for `forget_device_after` go too (kept while
        // min_idle_connections asks for prewarming). That looks at every device, so not
        // on every pass.
        let every = PRUNE_EVERY.min(inner.config.forget_device_after);
        if inner.config.min_idle_connections == 0 && pruned.elapsed() >= every {
            inner.prune_slots();
            pruned = Instant::now();
        }
    }
}

/// How often devices with nothing in the pool are looked for, at most (they go after
/// `forget_device_after`).
const PRUNE_EVERY: Duration = Duration::from_secs(10);

impl PoolInner {
    /// One maintenance pass over every device.
    pub(crate) fn maintain(self: &Arc<Self>) {
        let cfg = &self.config;
        for slot in self.due_slots(Instant::now()) {
            let mut to_close = Vec::new();
            let mut to_disconnect = Vec::new();
            let mut prewarm = 0;
            {
                let mut st = slot.state();
                slot.due.start_pass();
                let mut keep = Vec::with_capacity(st.idle.len());
                for s in std::mem::take(&mut st.idle) {
                    let why = if s.conn().is_dead() {
                        Some(DiscardReason::Transport)
                    } else if cfg.idle_timeout.is_some_and(|t| s.last_used.elapsed() >= t) {
                        Some(DiscardReason::IdleTimeout)
                    } else if cfg.max_lifetime.is_some_and(|l| s.created.elapsed() >= l) {
                        Some(DiscardReason::MaxLifetime)
                    } else {
                        None
                    };
                    match why {
                        Some(w) => {
                            st.counters.discard(w);
                            to_close.push(s);
                        }
                        None => {
                            if let Some(t) = self.session_deadline(&s) {
                                slot.due.at(t);
                            }
                            keep.push(s);
                        }
                    }
                }
                st.idle = keep;
                st.prune_dead();
                let idle_conn = |c: &Arc<SshConn>| c.channels.load(Relaxed) == 0;
                let mut keep_conns = Vec::new();
                for c in std::mem::take(&mut st.conns) {
                    let old = cfg.max_lifetime.is_some_and(|l| c.created.elapsed() >= l);
                    let idle_long = cfg.idle_timeout.is_some_and(|t| c.idle_for() >= t);
                    if idle_conn(&c) && (old || idle_long) {
                        st.counters.discard(if old {
                            DiscardReason::MaxLifetime
                        } else {
                            DiscardReason::IdleTimeout
                        });
                        to_disconnect.push(c);
                    } else {
                        if let Some(t) = self.conn_deadline(&c) {
                            slot.due.at(t);
                        }
                        keep_conns.push(c);
                    }
                }
                st.conns = keep_conns;
                if cfg.min_idle_connections > 0 {
                    // Keeping connections open is looked at on every pass.
                    slot.due.now();
                }
                if !self.closed.load(Relaxed) {
                    let have = st.conns.len() + st.connecting;
                    let want = cfg.min_idle_connections.min(cfg.max_connections_per_device);
                    if have < want
                        && st
                            .breaker
                            .admit(slot.device.label(), Instant::now())
                            .is_ok()
                    {
                        prewarm = want - have;
                        st.connecting += prewarm;
                    }
                }
            }
            let device = slot.device.clone();
            if !to_close.is_empty() || !to_disconnect.is_empty() {
                tokio::spawn(async move {
                    futures::future::join_all(
                        to_close
                            .into_iter()
                            .map(|s| s.close(&device, Duration::from_millis(500))),
                    )
                    .await;
                    futures::future::join_all(to_disconnect.iter().map(|c| c.disconnect())).await;
                });
            }
            for _ in 0..prewarm {
                let pool = self.clone();
                let slot = slot.clone();
                tokio::spawn(async move {
                    // connect() expects `connecting` already counted, as it is.
                    let _ = pool.connect(&slot).await;
                });
            }
        }
    }
}

impl PoolInner {
    /// When an idle session next needs looking at: its idle timeout or its lifetime (none
    /// for a deadline past what an `Instant` holds: a limit that large never comes).
    pub(crate) fn session_deadline(&self, s: &NetconfSession) -> Option<Instant> {
        let cfg = &self.config;
        let idle = cfg.idle_timeout.and_then(|t| s.last_used.checked_add(t));
        let old = cfg.max_lifetime.and_then(|l| s.created.checked_add(l));
        idle.into_iter().chain(old).min()
    }

    /// When a connection next needs looking at: its lifetime, or its idle timeout if no
    /// channel is open on it.
    pub(crate) fn conn_deadline(&self, c: &SshConn) -> Option<Instant> {
        let cfg = &self.config;
        let idle = cfg
            .idle_timeout
            .filter(|_| c.channels.load(Relaxed) == 0)
            .and_then(|t| Instant::now().checked_add(t.saturating_sub(c.idle_for())));
        let old = cfg.max_lifetime.and_then(|l| c.created.checked_add(l));
        idle.into_iter().chain(old).min()
    }
}
