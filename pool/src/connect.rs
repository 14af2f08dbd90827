//! Opening SSH connections for a device: in their own tasks, with retry, backoff, the
//! connect-rate limit and the breaker.

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;

use crate::breaker::backoff;
use crate::channel::ChannelPermit;
use crate::error::{Error, Result};
use crate::inner::PoolInner;
use crate::slot::{ChangeWaiter, Slot};
use crate::ssh::SshConn;

fn task_ended(slot: &Slot) -> Error {
    Error::Transport {
        device: slot.device.label().to_string(),
        detail: "connect task ended unexpectedly".into(),
    }
}

impl PoolInner {
    /// Start a connect in its own task (so a cancelled caller never leaves a half-open
    /// connection behind: a finished connect joins the pool either way) and wait for it.
    /// The caller must already have counted it in `connecting`.
    pub(crate) async fn connect(self: &Arc<Self>, slot: &Arc<Slot>) -> Result<ChannelPermit> {
        let rx = self.start_connect(slot);
        rx.await.unwrap_or_else(|_| Err(task_ended(slot)))
    }

    /// Wait for the connect this caller started, or for a channel freed on an existing
    /// connection, whichever comes first (a connect may be held back a long time by the
    /// connect-rate limit). A connect that finishes after the caller was served joins the
    /// pool for the next one.
    pub(crate) async fn connect_or_free_channel(
        self: &Arc<Self>,
        slot: &Arc<Slot>,
        deadline: Instant,
        epoch: u64,
    ) -> Result<(ChannelPermit, bool)> {
        let _waiter = ChangeWaiter::new(slot);
        let mut rx = self.start_connect(slot);
        loop {
            let notified = slot.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                // Our own connect first: it is sent under the lock it joins the pool under,
                // so a connection seen in the pool here whose permit is not yet waiting is
                // another caller's. Picking our new connection through the pool instead
                // would count the checkout that made it as reused.
                let st = slot.state();
                match rx.try_recv() {
                    Ok(r) => return r.map(|c| (c, true)),
                    Err(tokio::sync::oneshot::error::TryRecvError::Closed) => {
                        return Err(task_ended(slot))
                    }
                    Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {}
                }
                if let Some(conn) = st.reserve_channel(self.limits()) {
                    return Ok((ChannelPermit::new(conn, slot), false));
                }
            }
            tokio::select! {
                r = &mut rx => {
                    return match r {
                        Ok(r) => r.map(|c| (c, true)),
                        Err(_) => Err(task_ended(slot)),
                    };
                }
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => return Err(self.timeout_error(slot, epoch)),
            }
        }
    }

    /// Spawn a connect (the caller must already have counted it in `connecting`).
    fn start_connect(
        self: &Arc<Self>,
        slot: &Arc<Slot>,
    ) -> tokio::sync::oneshot::Receiver<Result<ChannelPermit>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let pool = self.clone();
        let slot2 = slot.clone();
        let span = tracing::debug_span!("netpool.connect", device = %slot.device);
        tokio::spawn(
            async move {
                let res = connect_with_retry(&pool, &slot2).await;
                let mut st = slot2.state();
                st.connecting -= 1;
                match res {
                    Ok(conn) if pool.closed.load(Relaxed) => {
                        // Shut down meanwhile: this connection must not join the pool.
                        drop(st);
                        tokio::spawn(async move { conn.disconnect().await });
                        let _ = tx.send(Err(Error::Closed));
                    }
                    Ok(conn) => {
                        let conn = Arc::new(conn);
                        st.joined(conn.clone());
                        // Maintenance looks at it once, to learn its deadlines.
                        slot2.due.now();
                        // Sent before the lock is released (see connect_or_free_channel).
                        // If the caller is gone, the permit comes back and is dropped
                        // after the lock: the channel is freed and the connection stays
                        // pooled for others.
                        let unsent = tx.send(Ok(ChannelPermit::new(conn, &slot2)));
                        drop(st);
                        drop(unsent);
                    }
                    Err(e) => {
                        let c = &pool.config;
                        st.connect_failed(&e, c.breaker_threshold, c.breaker_cooldown);
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
}

/// One connect attempt for one device: the seam between the pool's connect logic (retry,
/// backoff, the connect-rate limit, the closing pool) and SSH, so that logic is tested on
/// fakes in paused time.
pub(crate) trait Connector {
    type Conn;
    /// Open one connection (no retry), or say why not.
    fn attempt(&self) -> impl Future<Output = Result<Self::Conn>> + Send;
}

/// The pool's connector: an SSH connection to the slot's device.
struct SshConnector<'a> {
    pool: &'a PoolInner,
    slot: &'a Slot,
}

impl Connector for SshConnector<'_> {
    type Conn = SshConn;

    fn attempt(&self) -> impl Future<Output = Result<SshConn>> + Send {
        let (pool, slot) = (self.pool, self.slot);
        let id = pool.next_conn_id.fetch_add(1, Relaxed);
        crate::ssh::connect(
            &slot.device,
            &pool.config,
            pool.host_keys.clone(),
            id,
            &slot.due,
            &slot.meters,
        )
    }
}

/// How a connect is retried.
pub(crate) struct Retry<'a> {
    /// Retries after the first attempt, for a retryable error.
    pub(crate) retries: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    /// Set when the pool closes: no retry after that.
    pub(crate) closed: &'a AtomicBool,
}

async fn connect_with_retry(pool: &Arc<PoolInner>, slot: &Arc<Slot>) -> Result<SshConn> {
    let cfg = &pool.config;
    let retry = Retry {
        retries: cfg.connect_retries,
        backoff_base: cfg.backoff_base,
        backoff_max: cfg.backoff_max,
        closed: &pool.closed,
    };
    let rate = cfg.connect_rate_per_minute;
    let start_at = |now| slot.state().rate.reserve(rate, now);
    let connector = SshConnector { pool, slot };
    with_retry(&connector, retry, start_at, slot.device.label()).await
}

/// Connect with bounded retries (exponential backoff, full jitter) for retryable errors;
/// each attempt waits for the instant `start_at` gives it (the device's connect-rate
/// limit).
pub(crate) async fn with_retry<K: Connector>(
    connector: &K,
    retry: Retry<'_>,
    mut start_at: impl FnMut(Instant) -> Instant,
    device: &str,
) -> Result<K::Conn> {
    let mut attempt = 0;
    loop {
        let at = start_at(Instant::now());
        if at > Instant::now() {
            tracing::debug!(device, wait = ?(at - Instant::now()), "connect-rate limit: waiting");
            tokio::time::sleep_until(at).await;
        }
        match connector.attempt().await {
            Ok(c) => return Ok(c),
            Err(e)
                if e.is_retryable_connect()
                    && attempt < retry.retries
                    && !retry.closed.load(Relaxed) =>
            {
                let wait = backoff(retry.backoff_base, retry.backoff_max, attempt);
                tracing::debug!(device, attempt, ?wait, "connect failed ({e}); retrying");
                attempt += 1;
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A device that answers each attempt with the next scripted result, and records when
    /// each attempt started.
    struct Scripted {
        results: Mutex<Vec<Result<u32>>>,
        started: Mutex<Vec<Instant>>,
    }

    impl Scripted {
        fn new(mut results: Vec<Result<u32>>) -> Self {
            results.reverse();
            Scripted {
                results: Mutex::new(results),
                started: Mutex::new(Vec::new()),
            }
        }
        fn started(&self) -> Vec<Instant> {
            self.started.lock().unwrap().clone()
        }
    }

    impl Connector for Scripted {
        type Conn = u32;
        fn attempt(&self) -> impl Future<Output = Result<u32>> + Send {
            self.started.lock().unwrap().push(Instant::now());
            let r = self
                .results
                .lock()
                .unwrap()
                .pop()
                .expect("an attempt too many");
            std::future::ready(r)
        }
    }

    fn refused() -> Result<u32> {
        Err(Error::ConnectRefused {
            device: "r1".into(),
        })
    }

    fn auth_failed() -> Result<u32> {
        Err(Error::AuthFailed {
            device: "r1".into(),
            user: "lab".into(),
            methods: "password".into(),
        })
    }

    const BASE: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_millis(300);

    fn retry(retries: u32, closed: &AtomicBool) -> Retry<'_> {
        Retry {
            retries,
            backoff_base: BASE,
            backoff_max: MAX,
            closed,
        }
    }

    /// No connect-rate limit: every attempt may start at once.
    fn now(t: Instant) -> Instant {
        t
    }

    /// Run `results` through `with_retry` with `retries` and no rate limit, expecting it to
    /// fail: its error and the attempts made.
    async fn failure(results: Vec<Result<u32>>, retries: u32, closed: bool) -> (Error, usize) {
        let closed = AtomicBool::new(closed);
        let k = Scripted::new(results);
        let e = with_retry(&k, retry(retries, &closed), now, "r1")
            .await
            .unwrap_err();
        (e, k.started().len())
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_connect_is_retried_with_backoff_until_it_succeeds() {
        let open = AtomicBool::new(false);
        let k = Scripted::new(vec![refused(), refused(), Ok(7)]);
        let c = with_retry(&k, retry(3, &open), now, "r1").await.unwrap();
        assert_eq!(c, 7);
        let t = k.started();
        assert_eq!(t.len(), 3);
        // Full jitter over half to all of base * 2^attempt, capped at the maximum.
        for (i, cap) in [(1, BASE), (2, BASE * 2)] {
            let waited = t[i] - t[i - 1];
            assert!(
                waited >= cap / 2 && waited <= cap,
                "wait {i}: {waited:?}, cap {cap:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_are_bounded_and_the_last_error_is_returned() {
        let (e, attempts) = failure(vec![refused(), refused(), refused()], 2, false).await;
        assert!(matches!(e, Error::ConnectRefused { .. }), "{e}");
        assert_eq!(attempts, 3, "one attempt and two retries");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_login_is_not_retried() {
        let (e, attempts) = failure(vec![auth_failed()], 5, false).await;
        assert!(matches!(e, Error::AuthFailed { .. }), "{e}");
        assert_eq!(attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_pool_does_not_retry() {
        let (e, attempts) = failure(vec![refused()], 5, true).await;
        assert!(matches!(e, Error::ConnectRefused { .. }), "{e}");
        assert_eq!(attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_waits_for_the_connect_rate_limit() {
        let open = AtomicBool::new(false);
        let k = Scripted::new(vec![refused(), Ok(1)]);
        let t0 = Instant::now();
        // The limiter hands out one start a second, the first one 2 s from now.
        let mut next = t0 + Duration::from_secs(2);
        let limit = |now: Instant| {
            let at = next.max(now);
            next = at + Duration::from_secs(1);
            at
        };
        with_retry(&k, retry(1, &open), limit, "r1").await.unwrap();
        let t = k.started();
        assert_eq!(
            t[0] - t0,
            Duration::from_secs(2),
            "the first waits for its start"
        );
        assert!(
            t[1] - t[0] >= Duration::from_secs(1),
            "the retry waits for the next start, not only its backoff: {:?}",
            t[1] - t[0]
        );
    }
}
