//! The pool: per-device slots, leases, connections and the checkout paths.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{
    AtomicBool, AtomicU64, AtomicUsize,
    Ordering::{Relaxed, SeqCst},
};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::time::Instant;

use futures::StreamExt;
use hdrhistogram::Histogram;
use tokio::sync::{Notify, Semaphore};
use tracing::Instrument;

use crate::breaker::{backoff, Breaker, RateLimiter};
use crate::config::PoolConfig;
use crate::device::{Device, DeviceMap};
use crate::error::{DiscardReason, Error, Result};
use crate::guard::NetconfGuard;
use crate::netconf::NetconfSession;
use crate::ssh::{CliOutput, ExecError, SshConn};
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
            .field(
                "devices",
                &self.inner.slots.lock().expect("slots lock").len(),
            )
            .finish()
    }
}

pub(crate) struct PoolInner {
    pub(crate) config: PoolConfig,
    /// `config.host_key_policy`, shared by every connection's handler.
    host_keys: Arc<crate::config::HostKeyPolicy>,
    /// The runtime the pool was built on: sessions are closed through it, even when the
    /// last handle is dropped outside any runtime.
    pub(crate) rt: tokio::runtime::Handle,
    slots: Mutex<DeviceMap<Arc<Slot>>>,
    global: Arc<Semaphore>,
    pub(crate) closed: AtomicBool,
    next_conn_id: AtomicU64,
    /// Leases out over the whole pool (for shutdown).
    in_use: AtomicUsize,
    released: Notify,
}

/// One device's share of the pool.
pub(crate) struct Slot {
    pub(crate) device: Device,
    rt: tokio::runtime::Handle,
    /// Permits = connections x channels: a permit is the right to use one channel.
    leases: Arc<Semaphore>,
    pub(crate) state: Mutex<SlotState>,
    /// Something changed: a connect finished, a channel was freed.
    changed: Notify,
    /// Callers waiting on `changed` (registered before they look at the state): when
    /// zero, nobody needs waking and `notify_waiters` (which takes a lock) is skipped.
    change_waiters: AtomicUsize,
    /// Leases out now (kept outside the state lock: the hot path touches it twice).
    pub(crate) in_use: AtomicUsize,
    /// Checkouts served by an existing session or connection.
    pub(crate) reused: AtomicU64,
}

impl Slot {
    /// Wake the callers waiting for a change, if there are any.
    fn notify_changed(&self) {
        if self.change_waiters.load(SeqCst) > 0 {
            self.changed.notify_waiters();
        }
    }
}

/// Counts a caller among `change_waiters` while it may wait on `changed`.
struct ChangeWaiter<'a>(&'a Slot);

impl<'a> ChangeWaiter<'a> {
    fn new(s: &'a Slot) -> Self {
        s.change_waiters.fetch_add(1, SeqCst);
        Self(s)
    }
}

impl Drop for ChangeWaiter<'_> {
    fn drop(&mut self) {
        self.0.change_waiters.fetch_sub(1, SeqCst);
    }
}

#[derive(Default)]
pub(crate) struct SlotState {
    conns: Vec<Arc<SshConn>>,
    connecting: usize,
    /// Boxed: a session is a few hundred bytes, moved on every checkout and return (the
    /// box moves with it to the guard and back without copying the session).
    #[allow(clippy::vec_box)]
    pub(crate) idle: Vec<Box<NetconfSession>>,
    breaker: Breaker,
    rate: RateLimiter,
    /// Incremented on every failed connect; `last_error` is that failure.
    failure_epoch: u64,
    last_error: Option<Error>,
    pub(crate) counters: SlotCounters,
}

#[derive(Default)]
pub(crate) struct SlotCounters {
    pub(crate) waiting: usize,
    pub(crate) connects: u64,
    pub(crate) connect_failures: u64,
    pub(crate) netconf_opened: u64,
    pub(crate) checkouts: u64,
    /// Checkouts served without waiting, not yet folded into `wait_us`.
    pub(crate) immediate: u64,
    pub(crate) discarded: BTreeMap<DiscardReason, u64>,
    pub(crate) wait_us: Option<Histogram<u64>>,
}

impl SlotCounters {
    pub(crate) fn discard(&mut self, why: DiscardReason) {
        *self.discarded.entry(why).or_default() += 1;
    }

    fn histogram(&mut self) -> &mut Histogram<u64> {
        self.wait_us.get_or_insert_with(|| {
            Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid histogram bounds")
        })
    }

    fn record_wait(&mut self, d: Duration) {
        let _ = self.histogram().record((d.as_micros() as u64).max(1));
    }

    /// The checkout-wait histogram, with the checkouts served at once folded in.
    pub(crate) fn wait_histogram(&mut self) -> Option<&Histogram<u64>> {
        if self.immediate > 0 {
            let n = std::mem::take(&mut self.immediate);
            let _ = self.histogram().record_n(1, n);
        }
        self.wait_us.as_ref()
    }
}

/// A reserved channel on a connection. Dropping it frees the channel.
///
/// A channel dropped before the server closed it (a cancelled open, a discarded session)
/// is freed only after an SSH ping round trip: russh sends the channel's close from a
/// spawned task, and reusing the slot before the server has processed that close would
/// exceed the server's per-connection channel limit (Junos and OpenSSH: 10).
pub(crate) struct ChannelSlot {
    pub(crate) conn: Arc<SshConn>,
    slot: Weak<Slot>,
    /// A channel was opened on this slot and the server has not been seen closing it: on
    /// drop, wait for the server to process our close before reusing the slot.
    pub(crate) needs_close_ack: bool,
}

fn release_channel(conn: &SshConn, slot: &Weak<Slot>) {
    conn.channels.fetch_sub(1, SeqCst);
    if let Some(s) = slot.upgrade() {
        s.notify_changed();
    }
}

impl Drop for ChannelSlot {
    fn drop(&mut self) {
        if !self.needs_close_ack || self.conn.is_dead() {
            return release_channel(&self.conn, &self.slot);
        }
        match self
            .slot
            .upgrade()
            .map(|s| s.rt.clone())
            .ok_or(())
            .or_else(|_| tokio::runtime::Handle::try_current().map_err(|_| ()))
        {
            Ok(rt) => {
                let (conn, slot) = (self.conn.clone(), self.slot.clone());
                rt.spawn(async move {
                    // Let russh's close-on-drop task send CHANNEL_CLOSE first, then make
                    // sure the server has read it before the slot is reused.
                    tokio::task::yield_now().await;
                    let _ =
                        tokio::time::timeout(Duration::from_secs(1), conn.handle.send_ping()).await;
                    release_channel(&conn, &slot);
                });
            }
            Err(_) => release_channel(&self.conn, &self.slot),
        }
    }
}

/// The right to use one session of a device: a per-device and a global permit, taken
/// from the semaphores (and forgotten) when the lease was made. Dropping it gives both
/// back (FIFO to the next waiter).
pub(crate) struct Lease {
    pub(crate) slot: Arc<Slot>,
    pool: Arc<PoolInner>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.slot.leases.add_permits(1);
        self.pool.global.add_permits(1);
        self.slot.in_use.fetch_sub(1, Relaxed);
        self.pool.in_use.fetch_sub(1, SeqCst);
        // Only shutdown waits for leases to come back; it sets `closed` before it looks
        // at `in_use` (both SeqCst), so either it sees this release or this sees `closed`.
        if self.pool.closed.load(SeqCst) {
            self.pool.released.notify_waiters();
        }
    }
}

/// Counts a waiter for the stats while it waits.
struct Waiting<'a>(&'a Slot);

impl<'a> Waiting<'a> {
    fn new(s: &'a Slot) -> Self {
        s.state.lock().expect("slot lock").counters.waiting += 1;
        Self(s)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.state.lock().expect("slot lock").counters.waiting -= 1;
    }
}

enum Step {
    Use(Arc<SshConn>),
    Connect,
    Evict(Box<NetconfSession>),
    Wait,
}

impl SlotState {
    pub(crate) fn conns_ref(&self) -> &[Arc<SshConn>] {
        &self.conns
    }

    pub(crate) fn connecting_now(&self) -> usize {
        self.connecting
    }

    pub(crate) fn breaker_open(&self, now: Instant) -> bool {
        self.breaker.is_open(now)
    }

    fn prune_dead(&mut self) {
        let before = self.conns.len();
        self.conns.retain(|c| !c.is_dead());
        for _ in self.conns.len()..before {
            self.counters.discard(DiscardReason::Transport);
        }
    }

    /// The least loaded live connection with a free channel that is not past its lifetime.
    fn pick(&self, per_conn: usize, max_lifetime: Option<Duration>) -> Option<Arc<SshConn>> {
        self.conns
            .iter()
            .filter(|c| c.channels.load(SeqCst) < per_conn)
            .filter(|c| max_lifetime.is_none_or(|l| c.created.elapsed() < l))
            .min_by_key(|c| c.channels.load(SeqCst))
            .cloned()
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
        let inner = Arc::new(PoolInner {
            rt,
            global: Arc::new(Semaphore::new(config.max_sessions_total)),
            host_keys: Arc::new(config.host_key_policy.clone()),
            config,
            slots: Mutex::default(),
            closed: AtomicBool::new(false),
            next_conn_id: AtomicU64::new(1),
            in_use: AtomicUsize::new(0),
            released: Notify::new(),
        });
        let weak = Arc::downgrade(&inner);
        let period = inner.config.maintenance_interval;
        tokio::spawn(crate::maintenance::run(weak, period));
        Ok(Pool { inner })
    }

    /// The settings in force.
    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    fn slot(&self, device: &Device) -> Arc<Slot> {
        let mut slots = self.inner.slots.lock().expect("slots lock");
        if let Some(s) = slots.get(device) {
            return s.clone();
        }
        slots
            .entry(device.clone())
            .or_insert_with(|| {
                let c = &self.inner.config;
                Arc::new(Slot {
                    device: device.clone(),
                    rt: self.inner.rt.clone(),
                    leases: Arc::new(Semaphore::new(
                        c.max_connections_per_device * c.channels_per_connection,
                    )),
                    state: Mutex::default(),
                    changed: Notify::new(),
                    change_waiters: AtomicUsize::new(0),
                    in_use: AtomicUsize::new(0),
                    reused: AtomicU64::new(0),
                })
            })
            .clone()
    }

    pub(crate) fn slots(&self) -> Vec<Arc<Slot>> {
        self.inner
            .slots
            .lock()
            .expect("slots lock")
            .values()
            .cloned()
            .collect()
    }

    /// Take a lease: fail fast if closed or the breaker is open with nothing connected;
    /// otherwise wait FIFO for a per-device then a global permit, within the checkout timeout.
    /// With `take_idle`, an idle NETCONF session is popped in the same critical section.
    pub(crate) async fn lease(
        &self,
        device: &Device,
        deadline: tokio::time::Instant,
        take_idle: bool,
    ) -> Result<(Lease, Option<Box<NetconfSession>>)> {
        if self.inner.closed.load(SeqCst) {
            return Err(Error::Closed);
        }
        let slot = self.slot(device);
        let epoch = {
            let mut st = slot.state.lock().expect("slot lock");
            if st.breaker.tripped() {
                st.prune_dead();
                if st.conns.is_empty() && st.breaker.is_open(Instant::now()) {
                    st.breaker.admit(device.label(), Instant::now())?;
                }
            }
            // Checked again under the lock that shutdown sets `closed` under: a lease
            // granted here is counted in `in_use` before shutdown can look at it.
            if self.inner.closed.load(SeqCst) {
                return Err(Error::Closed);
            }
            // Fast path: both permits free now. tokio's semaphore hands released permits
            // to queued waiters first, so `try_acquire` never jumps the FIFO queue.
            let free_now = match slot.leases.try_acquire() {
                Ok(d) => match self.inner.global.try_acquire() {
                    Ok(g) => {
                        d.forget();
                        g.forget();
                        true
                    }
                    Err(_) => false,
                },
                Err(_) => false,
            };
            if free_now {
                st.counters.checkouts += 1;
                // Served at once: counted here, folded into the histogram as its floor
                // (1 us) when stats are read.
                st.counters.immediate += 1;
                let idle = if take_idle { st.idle.pop() } else { None };
                self.count_lease(&slot);
                drop(st);
                return Ok((self.lend(slot), idle));
            }
            st.failure_epoch
        };
        let started = Instant::now();
        let waiting = Waiting::new(&slot);
        let permits = async {
            let d = slot.leases.acquire().await.map_err(|_| Error::Closed)?;
            let g = self
                .inner
                .global
                .acquire()
                .await
                .map_err(|_| Error::Closed)?;
            Ok::<_, Error>((d, g))
        };
        let (d, g) = match tokio::time::timeout_at(deadline, permits).await {
            Ok(r) => r?,
            Err(_) => return Err(self.timeout_error(&slot, epoch)),
        };
        drop(waiting);
        let idle = {
            let mut st = slot.state.lock().expect("slot lock");
            if self.inner.closed.load(SeqCst) {
                return Err(Error::Closed); // the permits go back as they drop
            }
            d.forget();
            g.forget();
            self.count_lease(&slot);
            st.counters.checkouts += 1;
            st.counters.record_wait(started.elapsed());
            if take_idle {
                st.idle.pop()
            } else {
                None
            }
        };
        Ok((self.lend(slot), idle))
    }

    /// Count a lease about to be lent (under the slot lock; undone by `Lease::drop`).
    fn count_lease(&self, slot: &Slot) {
        slot.in_use.fetch_add(1, Relaxed);
        self.inner.in_use.fetch_add(1, SeqCst);
    }

    /// A lease for the two permits just taken (and forgotten): it gives them back when
    /// dropped.
    fn lend(&self, slot: Arc<Slot>) -> Lease {
        Lease {
            slot,
            pool: self.inner.clone(),
        }
    }

    /// A checkout timed out: if a connect failed meanwhile, that failure is the real cause.
    fn timeout_error(&self, slot: &Slot, epoch: u64) -> Error {
        let st = slot.state.lock().expect("slot lock");
        match &st.last_error {
            Some(e) if st.failure_epoch != epoch => e.clone(),
            _ => Error::CheckoutTimeout {
                device: slot.device.label().to_string(),
                after: self.inner.config.checkout_timeout,
            },
        }
    }

    /// Reserve a channel on a live connection, connecting or evicting an idle NETCONF
    /// session if needed. Returns the slot and whether the connection is brand new.
    async fn channel(
        &self,
        slot: &Arc<Slot>,
        deadline: tokio::time::Instant,
    ) -> Result<(ChannelSlot, bool)> {
        let cfg = &self.inner.config;
        let _waiter = ChangeWaiter::new(slot);
        let epoch = slot.state.lock().expect("slot lock").failure_epoch;
        loop {
            let notified = slot.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let step = {
                let mut st = slot.state.lock().expect("slot lock");
                st.prune_dead();
                if st.failure_epoch != epoch {
                    if let Some(e) = &st.last_error {
                        if st
                            .pick(cfg.channels_per_connection, cfg.max_lifetime)
                            .is_none()
                        {
                            return Err(e.clone());
                        }
                    }
                }
                if let Some(conn) = st.pick(cfg.channels_per_connection, cfg.max_lifetime) {
                    conn.channels.fetch_add(1, Relaxed);
                    Step::Use(conn)
                } else if st.conns.len() + st.connecting < cfg.max_connections_per_device {
                    st.breaker.admit(slot.device.label(), Instant::now())?;
                    st.connecting += 1;
                    Step::Connect
                } else if !st.idle.is_empty() {
                    let oldest = st.idle.remove(0);
                    st.counters.discard(DiscardReason::Evicted);
                    Step::Evict(oldest)
                } else {
                    Step::Wait
                }
            };
            match step {
                Step::Use(conn) => {
                    let cs = ChannelSlot {
                        conn,
                        slot: Arc::downgrade(slot),
                        needs_close_ack: false,
                    };
                    if cs.conn.idle_for() > cfg.health_check_after
                        && !cs.conn.ping(cfg.health_check_timeout).await
                    {
                        cs.conn.broken.store(true, Relaxed);
                        slot.state
                            .lock()
                            .expect("slot lock")
                            .counters
                            .discard(DiscardReason::FailedHealthCheck);
                        tracing::debug!(device = %slot.device, conn = cs.conn.id, "dead connection found at checkout; replacing");
                        continue;
                    }
                    return Ok((cs, false));
                }
                Step::Connect => return self.connect_or_free_channel(slot, deadline, epoch).await,
                Step::Evict(sess) => {
                    let device = slot.device.clone();
                    tokio::spawn(async move { sess.close(&device, Duration::from_secs(1)).await });
                }
                Step::Wait => {}
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(self.timeout_error(slot, epoch));
            }
        }
    }

    /// Start a connect in its own task (so a cancelled caller never leaves a half-open
    /// connection behind: a finished connect joins the pool either way) and wait for it.
    async fn connect(&self, slot: &Arc<Slot>) -> Result<ChannelSlot> {
        let rx = self.start_connect(slot);
        rx.await.unwrap_or_else(|_| {
            Err(Error::Transport {
                device: slot.device.label().to_string(),
                detail: "connect task ended unexpectedly".into(),
            })
        })
    }

    /// Wait for the connect this caller started, or for a channel freed on an existing
    /// connection, whichever comes first (a connect may be held back a long time by the
    /// connect-rate limit). A connect that finishes after the caller was served joins the
    /// pool for the next one.
    async fn connect_or_free_channel(
        &self,
        slot: &Arc<Slot>,
        deadline: tokio::time::Instant,
        epoch: u64,
    ) -> Result<(ChannelSlot, bool)> {
        let cfg = &self.inner.config;
        let _waiter = ChangeWaiter::new(slot);
        let mut rx = self.start_connect(slot);
        loop {
            let notified = slot.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let picked = {
                let st = slot.state.lock().expect("slot lock");
                st.pick(cfg.channels_per_connection, cfg.max_lifetime)
                    .inspect(|c| {
                        c.channels.fetch_add(1, Relaxed);
                    })
            };
            if let Some(conn) = picked {
                return Ok((
                    ChannelSlot {
                        conn,
                        slot: Arc::downgrade(slot),
                        needs_close_ack: false,
                    },
                    false,
                ));
            }
            tokio::select! {
                r = &mut rx => {
                    return match r {
                        Ok(r) => r.map(|c| (c, true)),
                        Err(_) => Err(Error::Transport { device: slot.device.label().to_string(), detail: "connect task ended unexpectedly".into() }),
                    };
                }
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => return Err(self.timeout_error(slot, epoch)),
            }
        }
    }

    /// Spawn a connect (the caller must already have counted it in `connecting`).
    fn start_connect(
        &self,
        slot: &Arc<Slot>,
    ) -> tokio::sync::oneshot::Receiver<Result<ChannelSlot>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let pool = self.inner.clone();
        let slot2 = slot.clone();
        let span = tracing::debug_span!("netpool.connect", device = %slot.device);
        tokio::spawn(
            async move {
                let res = connect_with_retry(&pool, &slot2).await;
                let now = Instant::now();
                let mut st = slot2.state.lock().expect("slot lock");
                st.connecting -= 1;
                match res {
                    Ok(conn) if pool.closed.load(Relaxed) => {
                        // Shut down meanwhile: this connection must not join the pool.
                        drop(st);
                        tokio::spawn(async move { conn.disconnect().await });
                        let _ = tx.send(Err(Error::Closed));
                    }
                    Ok(conn) => {
                        st.breaker.success();
                        st.counters.connects += 1;
                        let conn = Arc::new(conn);
                        conn.channels.fetch_add(1, Relaxed);
                        st.conns.push(conn.clone());
                        drop(st);
                        let cs = ChannelSlot {
                            conn,
                            slot: Arc::downgrade(&slot2),
                            needs_close_ack: false,
                        };
                        // If the caller is gone, dropping the slot frees the channel and the
                        // connection stays pooled for others.
                        let _ = tx.send(Ok(cs));
                    }
                    Err(e) => {
                        let c = &pool.config;
                        st.breaker
                            .failure(c.breaker_threshold, c.breaker_cooldown, &e, now);
                        st.counters.connect_failures += 1;
                        st.failure_epoch += 1;
                        st.last_error = Some(e.clone());
                        drop(st);
                        tracing::warn!(device = %slot2.device, "connect failed: {e}");
                        let _ = tx.send(Err(e));
                    }
                }
                slot2.notify_changed();
            }
            .instrument(span),
        );
        rx
    }

    /// Run an exec in its own task, so that a caller who gives up never leaves a channel
    /// half-used: the task finishes (bounded by `rpc_timeout`) and frees the channel.
    async fn spawn_exec(
        &self,
        mut cs: ChannelSlot,
        device: &Device,
        command: &str,
    ) -> std::result::Result<std::result::Result<CliOutput, ExecError>, tokio::time::error::Elapsed>
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (device, command, timeout) = (
            device.clone(),
            command.to_string(),
            self.inner.config.rpc_timeout,
        );
        tokio::spawn(async move {
            cs.needs_close_ack = true;
            let res =
                tokio::time::timeout(timeout, crate::ssh::exec(&cs.conn, &device, &command)).await;
            match &res {
                // An exec that returned saw the server close its channel.
                Ok(Ok(_)) => cs.needs_close_ack = false,
                Err(_) => cs.conn.broken.store(true, Relaxed),
                _ => {}
            }
            drop(cs);
            let _ = tx.send(res);
        });
        match rx.await {
            Ok(r) => r,
            Err(_) => Ok(Err(ExecError::Broken(Error::Transport {
                device: String::new(),
                detail: "exec task ended unexpectedly".into(),
            }))),
        }
    }

    /// Open a NETCONF session in its own task: channel open, subsystem and hellos are not
    /// cancellation-safe in russh (a dropped open leaves the channel open on the server),
    /// so a caller who gives up leaves the task to finish; the session then joins the
    /// idle list.
    async fn spawn_open(
        &self,
        cs: ChannelSlot,
        slot: &Arc<Slot>,
    ) -> std::result::Result<Result<Box<NetconfSession>>, tokio::time::error::Elapsed> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let cfg = &self.inner.config;
        let (timeout, offer_1_1, max_frame) =
            (cfg.session_open_timeout, cfg.netconf_1_1, cfg.max_frame);
        let (inner, slot) = (self.inner.clone(), slot.clone());
        tokio::spawn(async move {
            let device = slot.device.clone();
            let mut res = tokio::time::timeout(
                timeout,
                NetconfSession::open(cs, &device, offer_1_1, max_frame),
            )
            .await;
            if let Ok(Ok(sess)) = &mut res {
                let cfg = &inner.config;
                sess.set_limits(cfg.max_lifetime, cfg.health_check_after);
            }
            if let Ok(Ok(_)) = &res {
                slot.state
                    .lock()
                    .expect("slot lock")
                    .counters
                    .netconf_opened += 1;
            }
            if let Err(Ok(Ok(sess))) = tx.send(res) {
                inner.give_back(&slot, sess);
            }
        });
        rx.await.unwrap_or_else(|_| {
            Ok(Err(Error::Transport {
                device: String::new(),
                detail: "session open task ended unexpectedly".into(),
            }))
        })
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
            let (lease, _) = self.lease(device, deadline, false).await?;
            let mut transport_retries = 0;
            let mut rejections = 0;
            loop {
                let (cs, fresh) = self.channel(&lease.slot, deadline).await?;
                let conn = cs.conn.clone();
                let res = self.spawn_exec(cs, device, command).await;
                conn.touch();
                let cs = conn;
                let mut st = lease.slot.state.lock().expect("slot lock");
                match res {
                    Ok(Ok(out)) => {
                        if !fresh {
                            lease.slot.reused.fetch_add(1, Relaxed);
                        }
                        return Ok(out);
                    }
                    Err(_) => {
                        cs.broken.store(true, Relaxed);
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
                            cs.broken.store(true, Relaxed);
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
                        cs.broken.store(true, Relaxed);
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
            let (lease, mut idle) = self.lease(device, deadline, true).await?;
            let mut attempts = 0;
            let mut rejections = 0;
            loop {
                attempts += 1;
                if attempts > 1 {
                    idle = lease.slot.state.lock().expect("slot lock").idle.pop();
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
                        sess.conn().broken.store(true, Relaxed);
                        Some(DiscardReason::FailedHealthCheck)
                    } else {
                        None
                    };
                    match why {
                        None => {
                            lease.slot.reused.fetch_add(1, Relaxed);
                            return Ok(NetconfGuard::new(self.clone(), lease, sess));
                        }
                        Some(why) => {
                            tracing::debug!(device = %device, ?why, "idle NETCONF session discarded at checkout; replacing");
                            lease.slot.state.lock().expect("slot lock").counters.discard(why);
                            let d = device.clone();
                            tokio::spawn(async move { sess.close(&d, Duration::from_millis(200)).await });
                            continue;
                        }
                    }
                }
                let (cs, fresh) = self.channel(&lease.slot, deadline).await?;
                let conn = cs.conn.clone();
                match self.spawn_open(cs, &lease.slot).await {
                    Ok(Ok(sess)) => {
                        if !fresh {
                            lease.slot.reused.fetch_add(1, Relaxed);
                        }
                        return Ok(NetconfGuard::new(self.clone(), lease, sess));
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
                            conn.broken.store(true, Relaxed);
                            lease.slot.state.lock().expect("slot lock").counters.discard(DiscardReason::Transport);
                        }
                        if transport && !fresh && attempts < 3 {
                            continue;
                        }
                        return Err(e);
                    }
                    Err(_) => {
                        conn.broken.store(true, Relaxed);
                        lease.slot.state.lock().expect("slot lock").counters.discard(DiscardReason::RpcTimeout);
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

    /// Lock, load, commit and unlock in one exclusive NETCONF session. On any failure the
    /// session is discarded (close-session), so no lock or candidate change leaks.
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
        if res.is_err() {
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
        let slot = self.slot(device);
        let n = n.min(self.inner.config.max_connections_per_device);
        let mut tasks = Vec::new();
        {
            let mut st = slot.state.lock().expect("slot lock");
            st.prune_dead();
            let have = st.conns.len() + st.connecting;
            for _ in have..n {
                st.breaker.admit(device.label(), Instant::now())?;
                st.connecting += 1;
                tasks.push(());
            }
        }
        let results = futures::future::join_all(tasks.iter().map(|_| self.connect(&slot))).await;
        for r in results {
            drop(r?);
        }
        Ok(())
    }

    /// Per-device statistics.
    pub fn stats(&self) -> Vec<DeviceStats> {
        let mut out: Vec<DeviceStats> = self.slots().iter().map(|s| DeviceStats::of(s)).collect();
        out.sort_by(|a, b| a.device.cmp(&b.device));
        out
    }

    /// Stop lending, let in-flight work finish until `grace` has passed, then close every
    /// session politely (NETCONF close-session, SSH disconnect). Calls made afterwards get
    /// [`Error::Closed`].
    pub async fn shutdown(&self, grace: Duration) {
        for s in self.slots() {
            let _st = s.state.lock().expect("slot lock");
            self.inner.closed.store(true, Relaxed);
        }
        self.inner.closed.store(true, Relaxed);
        self.inner.global.close();
        for s in self.slots() {
            s.leases.close();
            s.changed.notify_waiters();
        }
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let notified = self.inner.released.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.inner.in_use.load(Relaxed) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                tracing::warn!(
                    in_use = self.inner.in_use.load(Relaxed),
                    "shutdown grace elapsed with sessions in use; closing them"
                );
                break;
            }
        }
        let mut closing = Vec::new();
        for s in self.slots() {
            let (idle, conns) = {
                let mut st = s.state.lock().expect("slot lock");
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

    /// Whether [`Pool::shutdown`] has been called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Relaxed)
    }
}

/// A device refused a channel: servers free a session slot a little after the channel
/// closes (OpenSSH's MaxSessions, Junos's limit of 10), so at the limit a refusal is
/// backpressure, not failure. Wait briefly (with jitter) and let the caller retry, until
/// the checkout deadline. Returns false when the deadline leaves no time.
async fn channel_backoff(rejections: &mut u32, deadline: tokio::time::Instant) -> bool {
    *rejections += 1;
    let wait = backoff(
        Duration::from_millis(2),
        Duration::from_millis(100),
        (*rejections).min(6),
    );
    if tokio::time::Instant::now() + wait >= deadline {
        return false;
    }
    tracing::debug!(
        rejections = *rejections,
        ?wait,
        "channel refused by the device; retrying"
    );
    tokio::time::sleep(wait).await;
    true
}

/// Connect with bounded retries (exponential backoff, full jitter) for retryable errors,
/// respecting the device's connect-rate limit.
async fn connect_with_retry(pool: &Arc<PoolInner>, slot: &Arc<Slot>) -> Result<SshConn> {
    let cfg = &pool.config;
    let mut attempt = 0;
    loop {
        let start_at = slot
            .state
            .lock()
            .expect("slot lock")
            .rate
            .reserve(cfg.connect_rate_per_minute, Instant::now());
        if start_at > Instant::now() {
            tracing::debug!(device = %slot.device, wait = ?(start_at - Instant::now()), "connect-rate limit: waiting");
            tokio::time::sleep_until(start_at).await;
        }
        let id = pool.next_conn_id.fetch_add(1, Relaxed);
        match crate::ssh::connect(&slot.device, cfg, pool.host_keys.clone(), id).await {
            Ok(c) => return Ok(c),
            Err(e)
                if e.is_retryable_connect()
                    && attempt < cfg.connect_retries
                    && !pool.closed.load(Relaxed) =>
            {
                let wait = backoff(cfg.backoff_base, cfg.backoff_max, attempt);
                tracing::debug!(device = %slot.device, attempt, ?wait, "connect failed ({e}); retrying");
                attempt += 1;
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // Idle sessions close their channels through the runtime; drop them inside it.
        let _enter = self.rt.enter();
        for slot in self.slots.lock().expect("slots lock").values() {
            let idle = std::mem::take(&mut slot.state.lock().expect("slot lock").idle);
            drop(idle);
        }
    }
}

impl PoolInner {
    /// Return a session to its device's idle list (called by the guard).
    pub(crate) fn give_back(&self, slot: &Arc<Slot>, sess: Box<NetconfSession>) {
        let mut st = slot.state.lock().expect("slot lock");
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
        st.idle.push(sess);
        drop(st);
        slot.notify_changed();
    }

    pub(crate) fn slots_snapshot(&self) -> Vec<Arc<Slot>> {
        self.slots
            .lock()
            .expect("slots lock")
            .values()
            .cloned()
            .collect()
    }

    /// One maintenance pass: retire idle and old sessions and connections, prewarm.
    pub(crate) fn maintain(self: &Arc<Self>) {
        let cfg = &self.config;
        for slot in self.slots_snapshot() {
            let mut to_close = Vec::new();
            let mut to_disconnect = Vec::new();
            let mut prewarm = 0;
            {
                let mut st = slot.state.lock().expect("slot lock");
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
                        None => keep.push(s),
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
                        keep_conns.push(c);
                    }
                }
                st.conns = keep_conns;
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
                let pool = Pool {
                    inner: self.clone(),
                };
                let slot = slot.clone();
                tokio::spawn(async move {
                    // connect() expects `connecting` already counted, as it is.
                    let _ = pool.connect(&slot).await;
                });
            }
        }
    }
}
