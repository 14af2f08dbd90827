//! One device's share of the pool: its permits, its connections and idle sessions, and
//! the decisions taken under its lock. Nothing here does I/O.

use std::collections::BTreeMap;
use std::sync::atomic::{
    AtomicU64, AtomicUsize,
    Ordering::{Relaxed, SeqCst},
};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use crate::breaker::{Breaker, RateLimiter};
use crate::channel::ChannelHome;
use crate::device::Device;
use crate::due::Due;
use crate::error::{DiscardReason, Error, Result};
use crate::meters::{HistogramStats, Meters, BUCKETS_SECONDS};
use crate::netconf::NetconfSession;
use crate::ssh::SshConn;

/// One device's share of the pool.
pub(crate) struct Slot {
    pub(crate) device: Device,
    pub(crate) rt: tokio::runtime::Handle,
    /// Permits = connections x channels: a permit is the right to use one channel.
    pub(crate) permits: Arc<Semaphore>,
    state: Mutex<SlotState>,
    /// Something changed: a connect finished, a channel was freed.
    pub(crate) changed: Notify,
    /// Callers waiting on `changed` (registered before they look at the state): when
    /// zero, nobody needs waking and `notify_waiters` (which takes a lock) is skipped.
    change_waiters: AtomicUsize,
    /// Leases out now (kept outside the state lock: the hot path touches it twice).
    pub(crate) in_use: AtomicUsize,
    /// Checkouts served by an existing session or connection.
    pub(crate) reused: AtomicU64,
    /// When maintenance next needs to look at this device.
    pub(crate) due: Arc<Due>,
    /// Requests and their failures (shared with the connections, which count keepalive
    /// failures).
    pub(crate) meters: Arc<Meters>,
}

impl Slot {
    /// A device's share with room for `permits` channels in use at once.
    pub(crate) fn new(device: Device, rt: tokio::runtime::Handle, permits: usize) -> Self {
        Self {
            device,
            rt,
            permits: Arc::new(Semaphore::new(permits)),
            state: Mutex::default(),
            changed: Notify::new(),
            change_waiters: AtomicUsize::new(0),
            in_use: AtomicUsize::new(0),
            reused: AtomicU64::new(0),
            due: Arc::new(Due::new()),
            meters: Arc::default(),
        }
    }

    /// The state, under its lock.
    pub(crate) fn state(&self) -> MutexGuard<'_, SlotState> {
        crate::sync::lock(&self.state)
    }

    /// Count a discarded session or connection.
    pub(crate) fn count_discard(&self, why: DiscardReason) {
        self.state().counters.discard(why);
    }

    /// Wake the callers waiting for a change, if there are any.
    pub(crate) fn notify_changed(&self) {
        if self.change_waiters.load(SeqCst) > 0 {
            self.changed.notify_waiters();
        }
    }
}

impl ChannelHome for Slot {
    fn runtime(&self) -> tokio::runtime::Handle {
        self.rt.clone()
    }

    fn channel_released(&self, connection_idle: bool) {
        if connection_idle {
            // The connection is idle from now: its idle timeout starts.
            self.due.now();
        }
        self.notify_changed();
    }
}

/// Counts a caller among `change_waiters` while it may wait on `changed`.
pub(crate) struct ChangeWaiter<'a>(&'a Slot);

impl<'a> ChangeWaiter<'a> {
    pub(crate) fn new(s: &'a Slot) -> Self {
        s.change_waiters.fetch_add(1, SeqCst);
        Self(s)
    }
}

impl Drop for ChangeWaiter<'_> {
    fn drop(&mut self) {
        self.0.change_waiters.fetch_sub(1, SeqCst);
    }
}

/// Counts a waiter for the stats while it waits.
pub(crate) struct Waiting<'a>(&'a Slot);

impl<'a> Waiting<'a> {
    pub(crate) fn new(s: &'a Slot) -> Self {
        s.state().counters.waiting += 1;
        Self(s)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.state().counters.waiting -= 1;
    }
}

/// What the slot's decisions need of a pooled connection: the seam that lets them be
/// unit-tested with fake connections (no SSH), as bb8's `ManageConnection` and
/// hyper-util's `Poolable` do for theirs.
pub(crate) trait PooledConn {
    /// Channels open on it (in use, and idle sessions).
    fn channels(&self) -> &AtomicUsize;
    /// When it was opened.
    fn created(&self) -> Instant;
    /// Whether it is known dead (broken, or its connection task ended).
    fn is_dead(&self) -> bool;
    /// How long since a channel on it was last used.
    fn idle_for(&self) -> Duration;
}
/// What a maintenance pass needs of an idle session.
pub(crate) trait IdleSession {
    /// Whether its connection is known dead.
    fn conn_dead(&self) -> bool;
    /// When it was last handed back.
    fn last_used(&self) -> Instant;
    /// When it was opened.
    fn created(&self) -> Instant;
}

impl IdleSession for Box<NetconfSession> {
    fn conn_dead(&self) -> bool {
        self.conn().is_dead()
    }

    fn last_used(&self) -> Instant {
        self.last_used
    }

    fn created(&self) -> Instant {
        self.created
    }
}

/// The settings a maintenance pass decides by.
#[derive(Clone, Copy)]
pub(crate) struct Upkeep {
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) min_idle_connections: usize,
    pub(crate) max_connections: usize,
}

/// What a maintenance pass decided for one device (`C` and `S` as in [`Step`]).
pub(crate) struct Sweep<C = SshConn, S = Box<NetconfSession>> {
    /// Idle sessions to close (already counted as discards).
    pub(crate) close: Vec<S>,
    /// Unused connections to close (already counted as discards).
    pub(crate) disconnect: Vec<Arc<C>>,
    /// Connects to start (already counted in `connecting`).
    pub(crate) prewarm: usize,
    /// When what was kept next needs a look (its earliest idle or lifetime deadline).
    pub(crate) next: Option<Instant>,
}

/// When an idle session next needs looking at: its idle timeout or its lifetime (none for
/// a deadline past what an `Instant` holds: a limit that large never comes).
pub(crate) fn session_deadline(up: Upkeep, s: &impl IdleSession) -> Option<Instant> {
    let idle = up.idle_timeout.and_then(|t| s.last_used().checked_add(t));
    let old = up.max_lifetime.and_then(|l| s.created().checked_add(l));
    idle.into_iter().chain(old).min()
}

/// When a connection next needs looking at: its lifetime, or its idle timeout if no
/// channel is open on it.
pub(crate) fn conn_deadline(up: Upkeep, c: &impl PooledConn) -> Option<Instant> {
    let idle = up
        .idle_timeout
        .filter(|_| c.channels().load(Relaxed) == 0)
        .and_then(|t| Instant::now().checked_add(t.saturating_sub(c.idle_for())));
    let old = up.max_lifetime.and_then(|l| c.created().checked_add(l));
    idle.into_iter().chain(old).min()
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    a.into_iter().chain(b).min()
}

impl PooledConn for SshConn {
    fn channels(&self) -> &AtomicUsize {
        &self.channels
    }

    fn created(&self) -> Instant {
        self.created
    }

    fn is_dead(&self) -> bool {
        SshConn::is_dead(self)
    }

    fn idle_for(&self) -> Duration {
        SshConn::idle_for(self)
    }
}

/// What a caller who needs a channel does next. `C` is the connection, `S` an idle
/// session (the pool's: SSH connections and boxed NETCONF sessions).
pub(crate) enum Step<C = SshConn, S = Box<NetconfSession>> {
    /// Open a channel on this connection (already counted in its `channels`).
    Use(Arc<C>),
    /// Open a new connection (already counted in `connecting`).
    Connect,
    /// Close this idle session to free its channel, then look again.
    Evict(S),
    /// Wait for a change.
    Wait,
}

/// The mutable part of a device's share, behind the slot's lock (`C` and `S` as in
/// [`Step`]).
pub(crate) struct SlotState<C = SshConn, S = Box<NetconfSession>> {
    pub(crate) conns: Vec<Arc<C>>,
    pub(crate) connecting: usize,
    /// Boxed in the pool: a session is a few hundred bytes, moved on every checkout and
    /// return (the box moves with it to the guard and back without copying the session).
    pub(crate) idle: Vec<S>,
    pub(crate) breaker: Breaker,
    pub(crate) rate: RateLimiter,
    /// Incremented on every failed connect; `last_error` is that failure.
    pub(crate) failure_epoch: u64,
    pub(crate) last_error: Option<Error>,
    pub(crate) counters: SlotCounters,
    /// Since when the device has had nothing in the pool (for pruning).
    pub(crate) empty_since: Option<Instant>,
}

impl<C, S> Default for SlotState<C, S> {
    fn default() -> Self {
        SlotState {
            conns: Vec::new(),
            connecting: 0,
            idle: Vec::new(),
            breaker: Breaker::default(),
            rate: RateLimiter::default(),
            failure_epoch: 0,
            last_error: None,
            counters: SlotCounters::default(),
            empty_since: None,
        }
    }
}

/// Per-device counters for [`crate::DeviceStats`].
#[derive(Default)]
pub(crate) struct SlotCounters {
    pub(crate) waiting: usize,
    pub(crate) connects: u64,
    pub(crate) connect_failures: u64,
    /// Failed connects by the stage they failed at (`tcp`, `ssh-handshake`, ...).
    pub(crate) connect_failures_by_stage: BTreeMap<&'static str, u64>,
    pub(crate) netconf_opened: u64,
    pub(crate) checkouts: u64,
    /// Checkouts served without waiting: counted, not recorded (they are the floor, 1 us).
    pub(crate) immediate: u64,
    pub(crate) discarded: BTreeMap<DiscardReason, u64>,
    /// Checkouts that waited. Made on the first one: it is 26 KiB, and most devices never
    /// wait (made for every device, it was 17% of a 1,000-device driver's heap, massif).
    pub(crate) wait_us: Option<Box<Histogram<u64>>>,
    /// The waits' sum, microseconds (exact: the histogram's values are rounded).
    pub(crate) wait_sum_us: u64,
}

impl SlotCounters {
    pub(crate) fn discard(&mut self, why: DiscardReason) {
        *self.discarded.entry(why).or_default() += 1;
    }

    pub(crate) fn record_wait(&mut self, d: Duration) {
        let h = self.wait_us.get_or_insert_with(|| {
            Box::new(
                Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid histogram bounds"),
            )
        });
        let us = d.as_micros() as u64;
        let _ = h.record(us.max(1));
        self.wait_sum_us = self.wait_sum_us.saturating_add(us);
    }

    /// Checkout wait as a Prometheus histogram: immediate checkouts in the lowest bucket,
    /// the others binned by their recorded value (which the histogram rounds to two
    /// significant digits: a wait within 1% of a bound may land in the next bucket).
    pub(crate) fn wait_histogram(&self) -> HistogramStats {
        let mut counts = [0u64; BUCKETS_SECONDS.len() + 1];
        counts[0] = self.immediate;
        if let Some(h) = &self.wait_us {
            for v in h.iter_recorded() {
                let at = crate::meters::bucket_of(Duration::from_micros(v.value_iterated_to()));
                counts[at] += v.count_at_value();
            }
        }
        HistogramStats::from_counts(&counts, Duration::from_micros(self.wait_sum_us))
    }

    /// Checkout wait in microseconds, immediate checkouts counted as 1 us: p50, p99, max
    /// (zeros before any checkout).
    pub(crate) fn wait_quantiles(&self) -> [u64; 3] {
        let waited = self.wait_us.as_ref().map_or(0, |h| h.len());
        let total = self.immediate + waited;
        if total == 0 {
            return [0; 3];
        }
        let at = |q: f64| {
            // The rank of the quantile among all checkouts; the immediate ones come first.
            let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
            match &self.wait_us {
                Some(h) if rank > self.immediate => {
                    h.value_at_quantile((rank - self.immediate) as f64 / waited as f64)
                }
                _ => 1,
            }
        };
        let max = self.wait_us.as_ref().map_or(1, |h| h.max());
        [at(0.5), at(0.99), max]
    }
}

/// The limits the state machine decides by.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) connections: usize,
    pub(crate) channels_per_connection: usize,
    pub(crate) max_lifetime: Option<Duration>,
}

impl<C: PooledConn, S> SlotState<C, S> {
    pub(crate) fn breaker_open(&self, now: Instant) -> bool {
        self.breaker.is_open(now)
    }

    /// Connections open, and channels open over them.
    pub(crate) fn conn_summary(&self) -> (usize, usize) {
        (
            self.conns.len(),
            self.conns.iter().map(|c| c.channels().load(Relaxed)).sum(),
        )
    }

    /// Forget connections that died, counting each as a transport discard.
    pub(crate) fn prune_dead(&mut self) {
        let before = self.conns.len();
        self.conns.retain(|c| !c.is_dead());
        for _ in self.conns.len()..before {
            self.counters.discard(DiscardReason::Transport);
        }
    }

    /// The least loaded live connection with a free channel that is not past its lifetime.
    pub(crate) fn pick(&self, lim: Limits) -> Option<Arc<C>> {
        self.conns
            .iter()
            .filter(|c| c.channels().load(SeqCst) < lim.channels_per_connection)
            .filter(|c| lim.max_lifetime.is_none_or(|l| c.created().elapsed() < l))
            .min_by_key(|c| c.channels().load(SeqCst))
            .cloned()
    }

    /// Pick a connection and count a channel on it.
    pub(crate) fn reserve_channel(&self, lim: Limits) -> Option<Arc<C>> {
        self.pick(lim).inspect(|c| {
            c.channels().fetch_add(1, Relaxed);
        })
    }

    /// Decide how a caller gets a channel: use a connection with room, connect, evict the
    /// oldest idle session, or wait. Counts what it decides (channel, connect, eviction).
    /// A connect failure seen since `epoch` with no connection left is the caller's error;
    /// so is an open breaker.
    pub(crate) fn next_step(
        &mut self,
        lim: Limits,
        device: &str,
        epoch: u64,
    ) -> Result<Step<C, S>> {
        self.prune_dead();
        if self.failure_epoch != epoch {
            if let Some(e) = &self.last_error {
                if self.pick(lim).is_none() {
                    return Err(e.clone());
                }
            }
        }
        Ok(if let Some(conn) = self.reserve_channel(lim) {
            Step::Use(conn)
        } else if self.conns.len() + self.connecting < lim.connections {
            self.breaker.admit(device, Instant::now())?;
            self.connecting += 1;
            Step::Connect
        } else if !self.idle.is_empty() {
            let oldest = self.idle.remove(0);
            self.counters.discard(DiscardReason::Evicted);
            Step::Evict(oldest)
        } else {
            Step::Wait
        })
    }

    /// A connect succeeded: the breaker closes, and the connection joins the slot with
    /// one channel counted (its connecting caller's).
    pub(crate) fn joined(&mut self, conn: Arc<C>) {
        self.breaker.success();
        self.counters.connects += 1;
        conn.channels().fetch_add(1, Relaxed);
        self.conns.push(conn);
    }

    /// A connect failed: count it, feed the breaker and remember it as the cause for
    /// callers who time out meanwhile.
    pub(crate) fn connect_failed(&mut self, e: &Error, threshold: u32, cooldown: Duration) {
        self.breaker.failure(threshold, cooldown, e, Instant::now());
        self.counters.connect_failures += 1;
        let stage = e.connect_stage().unwrap_or("other");
        *self
            .counters
            .connect_failures_by_stage
            .entry(stage)
            .or_default() += 1;
        self.failure_epoch += 1;
        self.last_error = Some(e.clone());
    }

    /// A maintenance pass over this device: idle sessions on a dead connection or past
    /// `idle_timeout` or `max_lifetime`, and connections with no channel open past either,
    /// are taken out to be closed (each counted as a discard); connects are counted in
    /// `connecting` to bring the device up to `min_idle_connections`, unless the pool is
    /// `closing` or the breaker refuses.
    pub(crate) fn sweep(&mut self, up: Upkeep, device: &str, closing: bool) -> Sweep<C, S>
    where
        S: IdleSession,
    {
        let mut next = None;
        let mut close = Vec::new();
        let mut keep = Vec::with_capacity(self.idle.len());
        for s in std::mem::take(&mut self.idle) {
            let why = if s.conn_dead() {
                Some(DiscardReason::Transport)
            } else if up
                .idle_timeout
                .is_some_and(|t| s.last_used().elapsed() >= t)
            {
                Some(DiscardReason::IdleTimeout)
            } else if up.max_lifetime.is_some_and(|l| s.created().elapsed() >= l) {
                Some(DiscardReason::MaxLifetime)
            } else {
                None
            };
            match why {
                Some(w) => {
                    self.counters.discard(w);
                    close.push(s);
                }
                None => {
                    next = earliest(next, session_deadline(up, &s));
                    keep.push(s);
                }
            }
        }
        self.idle = keep;
        self.prune_dead();
        let mut disconnect = Vec::new();
        let mut keep_conns = Vec::with_capacity(self.conns.len());
        for c in std::mem::take(&mut self.conns) {
            let old = up.max_lifetime.is_some_and(|l| c.created().elapsed() >= l);
            let idle_long = up.idle_timeout.is_some_and(|t| c.idle_for() >= t);
            if c.channels().load(Relaxed) == 0 && (old || idle_long) {
                self.counters.discard(if old {
                    DiscardReason::MaxLifetime
                } else {
                    DiscardReason::IdleTimeout
                });
                disconnect.push(c);
            } else {
                next = earliest(next, conn_deadline(up, &*c));
                keep_conns.push(c);
            }
        }
        self.conns = keep_conns;
        let mut prewarm = 0;
        if !closing {
            let have = self.conns.len() + self.connecting;
            let want = up.min_idle_connections.min(up.max_connections);
            if have < want && self.breaker.admit(device, Instant::now()).is_ok() {
                prewarm = want - have;
                self.connecting += prewarm;
            }
        }
        Sweep {
            close,
            disconnect,
            prewarm,
            next,
        }
    }
}

#[cfg(test)]
mod model;
#[cfg(test)]
mod tests;
