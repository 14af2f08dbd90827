//! Work that must finish even when its caller gives up: an exec and a NETCONF session
//! open each run in their own task, so a cancelled caller never leaves a channel
//! half-used or open on the server.

use std::future::Future;
use std::sync::Arc;

use tokio::time::error::Elapsed;

use crate::channel::ChannelPermit;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::inner::PoolInner;
use crate::netconf::NetconfSession;
use crate::slot::Slot;
use crate::ssh::{CliOutput, ExecError};

impl PoolInner {
    /// Run an exec in its own task: a caller who gives up leaves the task to finish
    /// (bounded by `rpc_timeout`) and free the channel.
    pub(crate) async fn spawn_exec(
        &self,
        mut cs: ChannelPermit,
        device: &Device,
        command: &str,
    ) -> std::result::Result<std::result::Result<CliOutput, ExecError>, Elapsed> {
        let (device, command, timeout, max_output) = (
            device.clone(),
            command.to_string(),
            self.config.rpc_timeout,
            self.config.max_frame,
        );
        let work = async move {
            cs.needs_close_ack = true;
            let res = tokio::time::timeout(
                timeout,
                crate::ssh::exec(&cs.conn, &device, &command, max_output),
            )
            .await;
            match &res {
                // An exec that returned saw the server close its channel.
                Ok(Ok(_)) => cs.needs_close_ack = false,
                Err(_) => cs.conn.mark_broken(),
                _ => {}
            }
            // Frees the channel (and acknowledges its close) before the caller hears back.
            drop(cs);
            res
        };
        // The channel is freed in the task either way; an orphaned output is dropped.
        detached(work, drop).await.unwrap_or_else(|| {
            Ok(Err(ExecError::Broken(Error::Transport {
                device: String::new(),
                detail: "exec task ended unexpectedly".into(),
            })))
        })
    }

    /// Open a NETCONF session in its own task: channel open, subsystem and hellos are not
    /// cancellation-safe in russh (a dropped open leaves the channel open on the server),
    /// so a caller who gives up leaves the task to finish; the session then joins the
    /// idle list.
    pub(crate) async fn spawn_open(
        self: &Arc<Self>,
        cs: ChannelPermit,
        slot: &Arc<Slot>,
    ) -> std::result::Result<Result<Box<NetconfSession>>, Elapsed> {
        let cfg = &self.config;
        let (timeout, offer_1_1, max_frame) =
            (cfg.session_open_timeout, cfg.netconf_1_1, cfg.max_frame);
        let (max_lifetime, check_after) = (cfg.max_lifetime, cfg.health_check_after);
        let (inner, home) = (self.clone(), slot.clone());
        let slot = slot.clone();
        let work = async move {
            let mut res = tokio::time::timeout(
                timeout,
                NetconfSession::open(cs, &slot.device, offer_1_1, max_frame),
            )
            .await;
            if let Ok(Ok(sess)) = &mut res {
                sess.set_limits(max_lifetime, check_after);
                slot.state().counters.netconf_opened += 1;
            }
            res
        };
        // A session opened for a caller who gave up joins the idle list.
        let orphan = move |res: std::result::Result<Result<Box<NetconfSession>>, Elapsed>| {
            if let Ok(Ok(sess)) = res {
                inner.give_back(&home, sess);
            }
        };
        detached(work, orphan).await.unwrap_or_else(|| {
            Ok(Err(Error::Transport {
                device: String::new(),
                detail: "session open task ended unexpectedly".into(),
            }))
        })
    }
}

/// Run `work` in a task of its own and wait for it. The caller gets its result; a caller
/// who gave up (its future dropped) leaves the task to finish, and `orphan` then gets the
/// result. `None` when the task ended without one (it panicked).
pub(crate) async fn detached<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
    orphan: impl FnOnce(T) + Send + 'static,
) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let res = work.await;
        if let Err(unsent) = tx.send(res) {
            orphan(unsent);
        }
    });
    rx.await.ok()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::detached;

    /// Work of a second that records that it finished.
    fn a_second(done: &Arc<AtomicBool>, value: u32) -> impl std::future::Future<Output = u32> {
        let done = done.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            done.store(true, SeqCst);
            value
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_caller_gets_the_result_and_nothing_is_orphaned() {
        let done = Arc::new(AtomicBool::new(false));
        let orphaned = Arc::new(Mutex::new(None));
        let o = orphaned.clone();
        let got = detached(a_second(&done, 7), move |v| *o.lock().unwrap() = Some(v)).await;
        assert_eq!(got, Some(7));
        assert_eq!(*orphaned.lock().unwrap(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn work_outlives_a_caller_who_gives_up_and_its_result_is_orphaned() {
        let done = Arc::new(AtomicBool::new(false));
        let orphaned = Arc::new(Mutex::new(None));
        let o = orphaned.clone();
        let call = detached(a_second(&done, 7), move |v| *o.lock().unwrap() = Some(v));
        // The caller gives up half way.
        let gave_up = tokio::time::timeout(Duration::from_millis(500), call).await;
        assert!(gave_up.is_err());
        assert!(!done.load(SeqCst));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(done.load(SeqCst), "the work finished without its caller");
        assert_eq!(
            *orphaned.lock().unwrap(),
            Some(7),
            "and its result was handed on"
        );
    }

    #[tokio::test]
    async fn work_that_panics_is_none_not_a_hang() {
        let got = detached(async { panic!("work failed") }, |_: ()| {}).await;
        assert_eq!(got, None);
    }
}
