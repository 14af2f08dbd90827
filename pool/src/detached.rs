//! Work that must finish even when its caller gives up: an exec and a NETCONF session
//! open each run in their own task, so a cancelled caller never leaves a channel
//! half-used or open on the server. A session is opened through the [`SessionOpener`]
//! seam, tested on fakes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

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
        let opener = NetconfOpener {
            cs,
            slot: slot.clone(),
            offer_1_1: cfg.netconf_1_1,
            max_frame: cfg.max_frame,
        };
        let (max_lifetime, check_after) = (cfg.max_lifetime, cfg.health_check_after);
        let counted = slot.clone();
        let opened = move |sess: &mut Box<NetconfSession>| {
            sess.set_limits(max_lifetime, check_after);
            counted.state().counters.netconf_opened += 1;
        };
        let (inner, home) = (self.clone(), slot.clone());
        let orphan = move |sess| inner.give_back(&home, sess);
        open_detached(opener, cfg.session_open_timeout, opened, orphan).await
    }
}

/// Opening one session: the seam between the pool's open logic (its bound, readying a
/// session, what becomes of one whose caller gave up) and NETCONF over SSH, so that logic
/// is tested on fakes in paused time.
pub(crate) trait SessionOpener: Send + 'static {
    type Session: Send + 'static;
    /// Open the session, or say why not.
    fn open(self) -> impl Future<Output = Result<Self::Session>> + Send + 'static;
}

/// The pool's opener: the `netconf` subsystem on a reserved channel, and the hellos.
struct NetconfOpener {
    cs: ChannelPermit,
    slot: Arc<Slot>,
    offer_1_1: bool,
    max_frame: usize,
}

impl SessionOpener for NetconfOpener {
    type Session = Box<NetconfSession>;

    fn open(self) -> impl Future<Output = Result<Box<NetconfSession>>> + Send + 'static {
        let NetconfOpener {
            cs,
            slot,
            offer_1_1,
            max_frame,
        } = self;
        async move { NetconfSession::open(cs, &slot.device, offer_1_1, max_frame).await }
    }
}

/// Open a session in a task of its own, bounded by `timeout`. `opened` readies a session
/// that opened (limits, counters) whoever gets it; a caller who gave up leaves the open to
/// finish, and `orphan` then gets the session (the idle list). A task that panicked is the
/// caller's transport error, never a hang.
pub(crate) async fn open_detached<O: SessionOpener>(
    opener: O,
    timeout: Duration,
    opened: impl FnOnce(&mut O::Session) + Send + 'static,
    orphan: impl FnOnce(O::Session) + Send + 'static,
) -> std::result::Result<Result<O::Session>, Elapsed> {
    let work = async move {
        let mut res = tokio::time::timeout(timeout, opener.open()).await;
        if let Ok(Ok(sess)) = &mut res {
            opened(sess);
        }
        res
    };
    let orphan = move |res: std::result::Result<Result<O::Session>, Elapsed>| {
        if let Ok(Ok(sess)) = res {
            orphan(sess);
        }
    };
    detached(work, orphan).await.unwrap_or_else(|| {
        Ok(Err(Error::Transport {
            device: String::new(),
            detail: "session open task ended unexpectedly".into(),
        }))
    })
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

    use super::{detached, open_detached, SessionOpener};
    use crate::error::{Error, Result};

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

    /// A session that says whether the pool readied it.
    #[derive(Debug, PartialEq)]
    struct Sess {
        id: u32,
        ready: bool,
    }

    /// Opens session `id` after `after`, or fails then; `None`: never answers.
    struct Fake {
        after: Option<Duration>,
        result: Result<u32>,
    }

    impl SessionOpener for Fake {
        type Session = Sess;
        async fn open(self) -> Result<Sess> {
            match self.after {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
            self.result.map(|id| Sess { id, ready: false })
        }
    }

    const BOUND: Duration = Duration::from_secs(2);

    type Orphans = Arc<Mutex<Vec<Sess>>>;

    /// Open through `fake` within `BOUND`, readying sessions; what the caller gets and
    /// what was orphaned.
    fn open(
        fake: Fake,
        orphans: &Orphans,
    ) -> impl std::future::Future<Output = std::result::Result<Result<Sess>, tokio::time::error::Elapsed>>
    {
        let o = orphans.clone();
        let ready = |s: &mut Sess| s.ready = true;
        open_detached(fake, BOUND, ready, move |s| o.lock().unwrap().push(s))
    }

    fn after(secs: u64, result: Result<u32>) -> Fake {
        Fake {
            after: Some(Duration::from_secs(secs)),
            result,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_opened_session_is_readied_and_handed_to_its_caller() {
        let orphans = Orphans::default();
        let got = open(after(1, Ok(7)), &orphans).await.unwrap().unwrap();
        assert_eq!(got, Sess { id: 7, ready: true });
        assert!(orphans.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_that_never_answers_is_cut_at_its_bound() {
        let orphans = Orphans::default();
        let t = tokio::time::Instant::now();
        let fake = Fake {
            after: None,
            result: Ok(1),
        };
        // Ten bounds at most, so that a missing bound fails instead of hanging.
        let got = tokio::time::timeout(BOUND * 10, open(fake, &orphans)).await;
        assert!(got.expect("the open's own bound").is_err(), "elapsed");
        assert_eq!(t.elapsed(), BOUND);
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_opened_after_its_caller_left_is_readied_for_the_idle_list() {
        let orphans = Orphans::default();
        let gave_up =
            tokio::time::timeout(Duration::from_millis(500), open(after(1, Ok(9)), &orphans)).await;
        assert!(gave_up.is_err(), "the caller left");
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(*orphans.lock().unwrap(), [Sess { id: 9, ready: true }]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_open_is_its_callers_error_and_nothing_is_orphaned() {
        let orphans = Orphans::default();
        let refused = Err(Error::SubsystemRejected {
            device: "r1".into(),
            subsystem: "netconf".into(),
        });
        let e = open(after(1, refused), &orphans)
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, Error::SubsystemRejected { .. }), "{e}");
        // A caller who left does not turn a failed open into an orphan either.
        let refused = Err(Error::ConnectRefused {
            device: "r1".into(),
        });
        let gave_up = tokio::time::timeout(
            Duration::from_millis(500),
            open(after(1, refused), &orphans),
        )
        .await;
        assert!(gave_up.is_err());
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(orphans.lock().unwrap().is_empty());
    }
}
