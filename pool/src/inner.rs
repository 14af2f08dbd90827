//! The pool's shared insides: the device map, the global permits, give-back and shutdown.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::config::{HostKeyPolicy, PoolConfig};
use crate::device::{Device, DeviceMap};
use crate::error::DiscardReason;
use crate::netconf::NetconfSession;
use crate::slot::{Limits, Slot, Upkeep};
use crate::sync::lock;

pub(crate) struct PoolInner {
    pub(crate) config: PoolConfig,
    /// `config.host_key_policy`, shared by every connection's handler.
    pub(crate) host_keys: Arc<HostKeyPolicy>,
    /// The runtime the pool was built on: sessions are closed through it, even when the
    /// last handle is dropped outside any runtime.
    pub(crate) rt: tokio::runtime::Handle,
    slots: Mutex<DeviceMap<Arc<Slot>>>,
    pub(crate) global: Arc<Semaphore>,
    pub(crate) closed: AtomicBool,
    pub(crate) next_conn_id: AtomicU64,
    /// Leases out over the whole pool (for shutdown).
    pub(crate) in_use: AtomicUsize,
    pub(crate) released: Notify,
}

impl PoolInner {
    pub(crate) fn new(config: PoolConfig, rt: tokio::runtime::Handle) -> Self {
        PoolInner {
            rt,
            global: Arc::new(Semaphore::new(config.max_sessions_total)),
            host_keys: Arc::new(config.host_key_policy.clone()),
            config,
            slots: Mutex::default(),
            closed: AtomicBool::new(false),
            next_conn_id: AtomicU64::new(1),
            in_use: AtomicUsize::new(0),
            released: Notify::new(),
        }
    }

    /// The limits a device's state machine decides by.
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            connections: self.config.max_connections_per_device,
            channels_per_connection: self.config.channels_per_connection,
            max_lifetime: self.config.max_lifetime,
        }
    }

    /// The settings a maintenance pass (and a session's return) decides by.
    pub(crate) fn upkeep(&self) -> Upkeep {
        let c = &self.config;
        Upkeep {
            idle_timeout: c.idle_timeout,
            max_lifetime: c.max_lifetime,
            min_idle_connections: c.min_idle_connections,
            max_connections: c.max_connections_per_device,
        }
    }

    /// The device's share, made on first use.
    pub(crate) fn slot(&self, device: &Device) -> Arc<Slot> {
        let mut slots = lock(&self.slots);
        if let Some(s) = slots.get(device) {
            return s.clone();
        }
        slots
            .entry(device.clone())
            .or_insert_with(|| {
                let c = &self.config;
                Arc::new(Slot::new(
                    device.clone(),
                    self.rt.clone(),
                    c.max_connections_per_device * c.channels_per_connection,
                ))
            })
            .clone()
    }

    /// Every device's share, at this moment.
    pub(crate) fn slots_snapshot(&self) -> Vec<Arc<Slot>> {
        lock(&self.slots).values().cloned().collect()
    }

    /// The devices maintenance needs to look at by `now`.
    pub(crate) fn due_slots(&self, now: tokio::time::Instant) -> Vec<Arc<Slot>> {
        lock(&self.slots)
            .values()
            .filter(|s| s.due.is_due(now))
            .cloned()
            .collect()
    }

    /// Forget devices with nothing left in the pool: no connection, idle session, lease,
    /// waiter or connect, and no breaker state worth keeping. Only the map holds such a
    /// slot (a lease or waiter holds its `Arc`), and new references are only made under
    /// the map's lock, so removing it there cannot race a checkout. Keeps the map from
    /// growing with every device the pool ever saw.
    pub(crate) fn prune_slots(&self) -> usize {
        let mut slots = lock(&self.slots);
        let before = slots.len();
        let now = tokio::time::Instant::now();
        slots.retain(|_, slot| {
            if Arc::strong_count(slot) > 1 {
                return true;
            }
            let mut st = slot.state();
            let empty = st.conns.is_empty()
                && st.idle.is_empty()
                && st.connecting == 0
                && st.counters.waiting == 0
                && !st.breaker.tripped();
            if !empty {
                st.empty_since = None;
                return true;
            }
            let since = *st.empty_since.get_or_insert(now);
            now.duration_since(since) < self.config.forget_device_after
        });
        before - slots.len()
    }

    /// How many devices the pool knows.
    pub(crate) fn device_count(&self) -> usize {
        lock(&self.slots).len()
    }

    /// Return a session to its device's idle list (called through the guard's lease).
    pub(crate) fn give_back(&self, slot: &Arc<Slot>, sess: Box<NetconfSession>) {
        let mut st = slot.state();
        // Checked under the lock that shutdown takes the idle list with: a session handed
        // back during shutdown is closed, not stranded.
        if self.closed.load(Relaxed) {
            st.counters.discard(DiscardReason::Shutdown);
            drop(st);
            let device = slot.device.clone();
            self.rt
                .spawn(async move { sess.close(&device, Duration::from_millis(500)).await });
            return;
        }
        if let Some(t) = crate::slot::session_deadline(self.upkeep(), &sess) {
            slot.due.at(t);
        }
        st.idle.push(sess);
        drop(st);
        slot.notify_changed();
    }

    /// Stop lending, wait for leases until `grace`, then close every session and
    /// connection politely.
    pub(crate) async fn shutdown(&self, grace: Duration) {
        for s in self.slots_snapshot() {
            let _st = s.state();
            self.closed.store(true, Relaxed);
        }
        self.closed.store(true, Relaxed);
        self.global.close();
        for s in self.slots_snapshot() {
            s.permits.close();
            s.changed.notify_waiters();
        }
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let notified = self.released.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.in_use.load(Relaxed) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                tracing::warn!(
                    in_use = self.in_use.load(Relaxed),
                    "shutdown grace elapsed with sessions in use; closing them"
                );
                break;
            }
        }
        let mut closing = Vec::new();
        for s in self.slots_snapshot() {
            let (idle, conns) = {
                let mut st = s.state();
                for _ in 0..st.idle.len() {
                    st.counters.discard(DiscardReason::Shutdown);
                }
                (std::mem::take(&mut st.idle), std::mem::take(&mut st.conns))
            };
            let device = s.device.clone();
            closing.push(async move {
                futures::future::join_all(
                    idle.into_iter()
                        .map(|sess| sess.close(&device, Duration::from_millis(500))),
                )
                .await;
                futures::future::join_all(conns.iter().map(|c| c.disconnect())).await;
            });
        }
        futures::future::join_all(closing).await;
    }
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // Idle sessions close their channels through the runtime; drop them inside it.
        let _enter = self.rt.enter();
        for slot in lock(&self.slots).values() {
            let idle = std::mem::take(&mut slot.state().idle);
            drop(idle);
        }
    }
}
