//! Checkout: the lease (a device permit and a global permit), FIFO waiting, and the choice
//! of a channel for the lease.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::breaker::backoff;
use crate::channel::ChannelPermit;
use crate::device::Device;
use crate::error::{DiscardReason, Error, Result};
use crate::inner::PoolInner;
use crate::netconf::NetconfSession;
use crate::slot::{ChangeWaiter, Slot, Step, Waiting};

/// The right to use one session of a device: a per-device and a global permit, taken
/// from the semaphores (and forgotten) when the lease was made. Dropping it gives both
/// back (FIFO to the next waiter).
///
/// It is also the guard's narrow handle on the pool: the guard returns or discards its
/// session through it and never reaches into the pool's insides.
pub(crate) struct Lease {
    pub(crate) slot: Arc<Slot>,
    pool: Arc<PoolInner>,
}

impl Lease {
    /// The device this lease is for.
    pub(crate) fn device(&self) -> &Device {
        &self.slot.device
    }

    /// The bound on one RPC.
    pub(crate) fn rpc_timeout(&self) -> Duration {
        self.pool.config.rpc_timeout
    }

    /// Whether the pool is shutting down.
    pub(crate) fn closing(&self) -> bool {
        self.pool.closed.load(Relaxed)
    }

    /// Return a healthy session to the device's idle list.
    pub(crate) fn give_back(&self, sess: Box<NetconfSession>) {
        self.pool.give_back(&self.slot, sess);
    }

    /// Count a discarded session and close it politely, through the pool's runtime (this
    /// may be called outside any runtime, from a guard's drop).
    pub(crate) fn discard(&self, sess: Box<NetconfSession>, why: DiscardReason) {
        tracing::debug!(device = %self.slot.device, ?why, "NETCONF session discarded");
        self.slot.count_discard(why);
        let device = self.slot.device.clone();
        self.pool
            .rt
            .spawn(async move { sess.close(&device, Duration::from_secs(1)).await });
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.slot.permits.add_permits(1);
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

impl PoolInner {
    /// Take a lease: fail fast if closed or the breaker is open with nothing connected;
    /// otherwise wait FIFO for a per-device then a global permit, within the checkout timeout.
    /// With `take_idle`, an idle NETCONF session is popped in the same critical section.
    pub(crate) async fn lease(
        self: &Arc<Self>,
        device: &Device,
        deadline: Instant,
        take_idle: bool,
    ) -> Result<(Lease, Option<Box<NetconfSession>>)> {
        if self.closed.load(SeqCst) {
            return Err(Error::Closed);
        }
        let slot = self.slot(device);
        let epoch = {
            let mut st = slot.state();
            if st.breaker.tripped() {
                st.prune_dead();
                if st.conns.is_empty() && st.breaker.is_open(Instant::now()) {
                    st.breaker.admit(device.label(), Instant::now())?;
                }
            }
            // Checked again under the lock that shutdown sets `closed` under: a lease
            // granted here is counted in `in_use` before shutdown can look at it.
            if self.closed.load(SeqCst) {
                return Err(Error::Closed);
            }
            // Fast path: both permits free now. tokio's semaphore hands released permits
            // to queued waiters first, so `try_acquire` never jumps the FIFO queue.
            let free_now = match slot.permits.try_acquire() {
                Ok(d) => match self.global.try_acquire() {
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
                // Served at once: counted here, as the floor (1 us) of the wait
                // quantiles.
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
            let d = slot.permits.acquire().await.map_err(|_| Error::Closed)?;
            let g = self.global.acquire().await.map_err(|_| Error::Closed)?;
            Ok::<_, Error>((d, g))
        };
        let (d, g) = match tokio::time::timeout_at(deadline, permits).await {
            Ok(r) => r?,
            Err(_) => return Err(self.timeout_error(&slot, epoch)),
        };
        drop(waiting);
        let idle = {
            let mut st = slot.state();
            if self.closed.load(SeqCst) {
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
        self.in_use.fetch_add(1, SeqCst);
    }

    /// A lease for the two permits just taken (and forgotten): it gives them back when
    /// dropped.
    fn lend(self: &Arc<Self>, slot: Arc<Slot>) -> Lease {
        Lease {
            slot,
            pool: self.clone(),
        }
    }

    /// A checkout timed out: if a connect failed meanwhile, that failure is the real cause.
    pub(crate) fn timeout_error(&self, slot: &Slot, epoch: u64) -> Error {
        let st = slot.state();
        match &st.last_error {
            Some(e) if st.failure_epoch != epoch => e.clone(),
            _ => Error::CheckoutTimeout {
                device: slot.device.label().to_string(),
                after: self.config.checkout_timeout,
            },
        }
    }

    /// Reserve a channel on a live connection, connecting or evicting an idle NETCONF
    /// session if needed. Returns the permit and whether the connection is brand new.
    pub(crate) async fn channel(
        self: &Arc<Self>,
        slot: &Arc<Slot>,
        deadline: Instant,
    ) -> Result<(ChannelPermit, bool)> {
        let cfg = &self.config;
        let _waiter = ChangeWaiter::new(slot);
        let epoch = slot.state().failure_epoch;
        loop {
            let notified = slot.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let step = slot
                .state()
                .next_step(self.limits(), slot.device.label(), epoch)?;
            match step {
                Step::Use(conn) => {
                    let cs = ChannelPermit::new(conn, slot);
                    if cs.conn.idle_for() > cfg.health_check_after
                        && !cs.conn.ping(cfg.health_check_timeout).await
                    {
                        cs.conn.mark_broken();
                        slot.count_discard(DiscardReason::FailedHealthCheck);
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
}

/// A device refused a channel: servers free a session slot a little after the channel
/// closes (OpenSSH's MaxSessions, Junos's limit of 10), so at the limit a refusal is
/// backpressure, not failure. Wait briefly (with jitter) and let the caller retry, until
/// the checkout deadline. Returns false when the deadline leaves no time.
pub(crate) async fn channel_backoff(rejections: &mut u32, deadline: Instant) -> bool {
    *rejections += 1;
    let wait = backoff(
        Duration::from_millis(2),
        Duration::from_millis(100),
        (*rejections).min(6),
    );
    if Instant::now() + wait >= deadline {
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

#[cfg(test)]
mod tests {
    //! The lease and the channel backoff without SSH: a lease takes only permits, so a
    //! pool with no device reachable exercises limits, FIFO order, timeouts and shutdown
    //! in paused time.
    use std::sync::Mutex;

    use super::*;
    use crate::config::PoolConfig;

    const CHECKOUT: Duration = Duration::from_secs(1);

    /// A pool lending `per_device` sessions per device and `total` over all.
    fn pool(per_device: usize, total: usize) -> Arc<PoolInner> {
        let cfg = PoolConfig {
            max_connections_per_device: 1,
            channels_per_connection: per_device,
            max_sessions_total: total,
            checkout_timeout: CHECKOUT,
            ..PoolConfig::default()
        };
        Arc::new(PoolInner::new(cfg, tokio::runtime::Handle::current()))
    }

    fn device(name: &str) -> Device {
        Device::with_password(name, 22, "lab", "x")
    }

    async fn lease(pool: &Arc<PoolInner>, d: &Device) -> Result<Lease> {
        let deadline = Instant::now() + CHECKOUT;
        pool.lease(d, deadline, false).await.map(|(l, _)| l)
    }

    /// A caller queued for a lease on `d` (given 10 ms to queue): what it gets.
    async fn queued(pool: &Arc<PoolInner>, d: &Device) -> tokio::task::JoinHandle<Result<()>> {
        let (p, d) = (pool.clone(), d.clone());
        let waiter = tokio::spawn(async move { lease(&p, &d).await.map(drop) });
        tokio::time::sleep(Duration::from_millis(10)).await;
        waiter
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_device_times_out_naming_it_and_a_lease_given_back_serves_the_next() {
        let (p, r1) = (pool(2, 100), device("r1"));
        let a = lease(&p, &r1).await.unwrap();
        let _b = lease(&p, &r1).await.unwrap();
        let t = Instant::now();
        let e = lease(&p, &r1).await.map(drop).unwrap_err();
        assert!(matches!(e, Error::CheckoutTimeout { .. }), "{e}");
        assert!(e.to_string().contains("r1"), "{e}");
        assert_eq!(t.elapsed(), CHECKOUT, "waited the checkout timeout");
        assert_eq!(p.in_use.load(SeqCst), 2);
        drop(a);
        assert_eq!(p.in_use.load(SeqCst), 1, "a dropped lease is counted back");
        let t = Instant::now();
        let _c = lease(&p, &r1).await.unwrap();
        assert_eq!(t.elapsed(), Duration::ZERO, "served at once");
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_the_order_they_came() {
        let (p, r1) = (pool(1, 100), device("r1"));
        let held = lease(&p, &r1).await.unwrap();
        let served = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for n in 0..4 {
            let (p, r1, served) = (p.clone(), r1.clone(), served.clone());
            waiters.push(tokio::spawn(async move {
                let l = lease(&p, &r1).await.unwrap();
                served.lock().unwrap().push(n);
                tokio::time::sleep(Duration::from_millis(10)).await;
                drop(l);
            }));
            // Each waiter queued before the next one comes.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(held);
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*served.lock().unwrap(), [0, 1, 2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_global_cap_is_shared_by_every_device() {
        let p = pool(5, 1);
        let (r1, r2) = (device("r1"), device("r2"));
        let a = lease(&p, &r1).await.unwrap();
        let e = lease(&p, &r2).await.map(drop).unwrap_err();
        assert!(matches!(e, Error::CheckoutTimeout { .. }), "{e}");
        drop(a);
        lease(&p, &r2).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_closing_pool_refuses_new_leases_and_wakes_its_waiters() {
        let (p, r1) = (pool(1, 100), device("r1"));
        let held = lease(&p, &r1).await.unwrap();
        let waiter = queued(&p, &r1).await;
        let t = Instant::now();
        let shutdown = tokio::spawn({
            let p = p.clone();
            async move { p.shutdown(Duration::from_secs(5)).await }
        });
        let e = waiter.await.unwrap().unwrap_err();
        assert!(matches!(e, Error::Closed), "{e}");
        assert!(t.elapsed() < CHECKOUT, "woken, not timed out");
        let e = lease(&p, &r1).await.map(drop).unwrap_err();
        assert!(matches!(e, Error::Closed), "{e}");
        // Shutdown waits for the lease still out, and ends once it comes back.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!shutdown.is_finished(), "shutdown waits for leases in use");
        drop(held);
        shutdown.await.unwrap();
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "ended before its grace"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_after_a_connect_failed_reports_that_failure() {
        let (p, r1) = (pool(1, 100), device("r1"));
        let _held = lease(&p, &r1).await.unwrap();
        let waiter = queued(&p, &r1).await;
        {
            // A connect for this device failed while the caller waited.
            let slot = p.slot(&r1);
            let mut st = slot.state();
            st.failure_epoch += 1;
            st.last_error = Some(Error::ConnectRefused {
                device: "r1".into(),
            });
        }
        let e = waiter.await.unwrap().unwrap_err();
        assert!(matches!(e, Error::ConnectRefused { .. }), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_channel_waits_longer_each_time_up_to_a_cap() {
        let far = Instant::now() + Duration::from_secs(60);
        let mut rejections = 0;
        let mut waits = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            assert!(channel_backoff(&mut rejections, far).await);
            waits.push(t.elapsed());
        }
        assert_eq!(rejections, 10);
        for (k, w) in waits.iter().enumerate() {
            // Half to all of 2 ms x 2^rejections, capped at 100 ms.
            let cap = Duration::from_millis(2 << (k + 1).min(6)).min(Duration::from_millis(100));
            assert!(*w >= cap / 2 && *w <= cap, "wait {k}: {w:?}, cap {cap:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_channel_does_not_wait_past_the_deadline() {
        let mut rejections = 5;
        let t = Instant::now();
        let soon = t + Duration::from_millis(20);
        assert!(!channel_backoff(&mut rejections, soon).await);
        assert_eq!(t.elapsed(), Duration::ZERO, "gave up at once");
        assert_eq!(rejections, 6);
    }
}
