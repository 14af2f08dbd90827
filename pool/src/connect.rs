//! Opening SSH connections for a device: in their own tasks, with retry, backoff, the
//! connect-rate limit and the breaker.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

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

/// Connect with bounded retries (exponential backoff, full jitter) for retryable errors,
/// respecting the device's connect-rate limit.
async fn connect_with_retry(pool: &Arc<PoolInner>, slot: &Arc<Slot>) -> Result<SshConn> {
    let cfg = &pool.config;
    let mut attempt = 0;
    loop {
        let start_at = slot
            .state()
            .rate
            .reserve(cfg.connect_rate_per_minute, Instant::now());
        if start_at > Instant::now() {
            tracing::debug!(device = %slot.device, wait = ?(start_at - Instant::now()), "connect-rate limit: waiting");
            tokio::time::sleep_until(start_at).await;
        }
        let id = pool.next_conn_id.fetch_add(1, Relaxed);
        match crate::ssh::connect(
            &slot.device,
            cfg,
            pool.host_keys.clone(),
            id,
            &slot.due,
            &slot.meters,
        )
        .await
        {
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
