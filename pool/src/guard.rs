//! The NETCONF checkout guard: a pooled session lent to one caller.

use netconf_wire::{escape_text, Framing, RpcReply};

use crate::checkout::Lease;
use crate::config_change::{CommitOutcome, ConfigChange, Datastore};
use crate::error::{DiscardReason, Error, Result};
use crate::netconf::NetconfSession;

/// A NETCONF session checked out of the pool. Dropping it returns the session, unless it
/// holds the configuration lock, has uncommitted changes, failed, timed out or was
/// cancelled mid-RPC: then it is closed (close-session) and never lent again.
pub struct NetconfGuard {
    lease: Option<Lease>,
    session: Option<Box<NetconfSession>>,
    discard: Option<DiscardReason>,
}

impl std::fmt::Debug for NetconfGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetconfGuard")
            .field(
                "device",
                &self.lease.as_ref().map(|l| l.device().label().to_string()),
            )
            .field("session_id", &self.session_id())
            .finish()
    }
}

impl NetconfGuard {
    pub(crate) fn new(lease: Lease, session: Box<NetconfSession>) -> Self {
        Self {
            lease: Some(lease),
            session: Some(session),
            discard: None,
        }
    }

    fn lease(&self) -> &Lease {
        self.lease
            .as_ref()
            .expect("lease lives as long as the guard")
    }

    fn parts(&mut self) -> (&mut NetconfSession, crate::Device) {
        let device = self.lease().device().clone();
        (
            self.session
                .as_mut()
                .expect("session lives as long as the guard"),
            device,
        )
    }

    /// The server's session-id.
    pub fn session_id(&self) -> Option<u32> {
        self.session.as_ref().and_then(|s| s.session_id)
    }

    /// The server's capabilities.
    pub fn capabilities(&self) -> &[String] {
        self.session
            .as_ref()
            .map(|s| s.capabilities.as_slice())
            .unwrap_or(&[])
    }

    /// The framing negotiated for this session.
    pub fn framing(&self) -> Framing {
        self.session
            .as_ref()
            .map_or(Framing::EndOfMessage, |s| s.framing)
    }

    /// Send one RPC (the operation element, without `<rpc>`) and return the reply.
    /// An rpc-error comes back as [`Error::Rpc`] and the session stays usable; a timeout,
    /// transport or protocol error discards the session.
    pub async fn rpc(&mut self, operation_xml: &str) -> Result<RpcReply> {
        let timeout = self.lease().rpc_timeout();
        let (sess, device) = self.parts();
        let span =
            tracing::debug_span!("netpool.rpc", device = %device, session = ?sess.session_id);
        let call = tracing::Instrument::instrument(sess.rpc(&device, operation_xml), span);
        let res = match tokio::time::timeout(timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(Error::RpcTimeout {
                device: device.label().to_string(),
                after: timeout,
            }),
        };
        match &res {
            Err(Error::RpcTimeout { .. }) => self.discard = Some(DiscardReason::RpcTimeout),
            Err(Error::Transport { .. }) => self.discard = Some(DiscardReason::Transport),
            Err(Error::Protocol { .. }) => self.discard = Some(DiscardReason::Protocol),
            _ => {}
        }
        // A transport failure whose connection is gone marks the connection too (never
        // the reverse: a connection marked broken elsewhere stays broken).
        if let (Some(_), Some(s)) = (self.discard, self.session.as_ref()) {
            if s.conn().handle.is_closed() {
                s.conn()
                    .broken
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        res
    }

    /// Run a CLI command through the `command` RPC and return its text output.
    pub async fn command(&mut self, command: &str) -> Result<String> {
        let reply = self
            .rpc(&format!(
                "<command format=\"text\">{}</command>",
                escape_text(command)
            ))
            .await?;
        Ok(match reply.root.child("output") {
            Some(o) => o.text.trim_start_matches('\n').to_string(),
            None => reply.root.to_xml(),
        })
    }

    /// Run a CLI command through the `command` RPC and return the XML reply.
    pub async fn command_xml(&mut self, command: &str) -> Result<RpcReply> {
        self.rpc(&format!(
            "<command format=\"xml\">{}</command>",
            escape_text(command)
        ))
        .await
    }

    /// `get-config` from a datastore, with an optional subtree filter (XML inside `<filter>`).
    pub async fn get_config(
        &mut self,
        source: Datastore,
        filter: Option<&str>,
    ) -> Result<RpcReply> {
        let src = match source {
            Datastore::Running => "<running/>",
            Datastore::Candidate => "<candidate/>",
        };
        let filter = filter
            .map(|f| format!("<filter type=\"subtree\">{f}</filter>"))
            .unwrap_or_default();
        self.rpc(&format!(
            "<get-config><source>{src}</source>{filter}</get-config>"
        ))
        .await
    }

    /// Lock the candidate configuration. While locked, the session is never returned.
    pub async fn lock(&mut self) -> Result<()> {
        self.rpc("<lock><target><candidate/></target></lock>")
            .await?;
        self.session.as_mut().expect("session").locked = true;
        Ok(())
    }

    /// Unlock the candidate configuration.
    pub async fn unlock(&mut self) -> Result<()> {
        self.rpc("<unlock><target><candidate/></target></unlock>")
            .await?;
        self.session.as_mut().expect("session").locked = false;
        Ok(())
    }

    /// Load a change into the candidate. Until commit or discard, the session is dirty and
    /// will not be returned to the pool.
    pub async fn load(&mut self, change: &ConfigChange) -> Result<RpcReply> {
        self.session.as_mut().expect("session").dirty = true;
        self.rpc(&change.to_rpc()).await
    }

    /// Commit the candidate.
    pub async fn commit(&mut self, comment: Option<&str>) -> Result<CommitOutcome> {
        let log = comment
            .map(|c| format!("<log>{}</log>", escape_text(c)))
            .unwrap_or_default();
        let reply = self
            .rpc(&format!(
                "<commit-configuration>{log}</commit-configuration>"
            ))
            .await?;
        self.session.as_mut().expect("session").dirty = false;
        Ok(CommitOutcome { reply })
    }

    /// Check the candidate without committing it.
    pub async fn commit_check(&mut self) -> Result<RpcReply> {
        self.rpc("<commit-configuration><check/></commit-configuration>")
            .await
    }

    /// Throw away uncommitted candidate changes.
    pub async fn discard_changes(&mut self) -> Result<()> {
        self.rpc("<discard-changes/>").await?;
        self.session.as_mut().expect("session").dirty = false;
        Ok(())
    }

    /// Close this session instead of returning it to the pool.
    pub fn discard(mut self) {
        self.discard = Some(DiscardReason::Caller);
    }
}

impl Drop for NetconfGuard {
    fn drop(&mut self) {
        let Some(sess) = self.session.take() else {
            return;
        };
        let lease = self.lease.take().expect("lease lives as long as the guard");
        let why = self.discard.or_else(|| {
            if sess.in_flight {
                Some(DiscardReason::Cancelled)
            } else if sess.locked {
                Some(DiscardReason::HeldLock)
            } else if sess.dirty {
                Some(DiscardReason::DirtyCandidate)
            } else if lease.closing() {
                Some(DiscardReason::Shutdown)
            } else if sess.conn().is_dead() {
                Some(DiscardReason::Transport)
            } else {
                None
            }
        });
        match why {
            None => lease.give_back(sess),
            Some(why) => lease.discard(sess, why),
        }
    }
}
