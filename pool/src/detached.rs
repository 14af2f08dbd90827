//! Work that must finish even when its caller gives up: an exec and a NETCONF session
//! open each run in their own task, so a cancelled caller never leaves a channel
//! half-used or open on the server.

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
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (device, command, timeout, max_output) = (
            device.clone(),
            command.to_string(),
            self.config.rpc_timeout,
            self.config.max_frame,
        );
        tokio::spawn(async move {
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
    pub(crate) async fn spawn_open(
        self: &Arc<Self>,
        cs: ChannelPermit,
        slot: &Arc<Slot>,
    ) -> std::result::Result<Result<Box<NetconfSession>>, Elapsed> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let cfg = &self.config;
        let (timeout, offer_1_1, max_frame) =
            (cfg.session_open_timeout, cfg.netconf_1_1, cfg.max_frame);
        let (inner, slot) = (self.clone(), slot.clone());
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
                slot.state().counters.netconf_opened += 1;
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
}
