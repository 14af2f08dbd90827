//! The NETCONF checkout guard: a pooled session lent to one caller.

use netconf_wire::{escape_text, Framing, Rpc, RpcReply};

use crate::checkout::Lease;
use crate::config_change::{CommitOutcome, ConfigChange, Datastore};
use crate::error::{DiscardReason, Error, Result};
use crate::meters::{RpcErrorKind, Started};
use crate::netconf::{NetconfSession, RelayedReply};

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
    ///
    /// Configuration state is tracked whichever method sends the RPC, raw or typed: a
    /// `load-configuration`, `edit-config` or `open-configuration` marks the session
    /// dirty before it is sent, a lock marks it locked once granted, and only a
    /// successful commit (not a check), `discard-changes` or unlock clears those marks
    /// (`close-configuration` only ends a private configuration: changes loaded into the
    /// shared candidate stay, as on Junos). A dirty or locked session is never
    /// lent again.
    pub async fn rpc(&mut self, operation_xml: &str) -> Result<RpcReply> {
        let effect = ConfigEffect::of(operation_xml);
        self.begin(effect);
        let res = self.send(operation_xml).await;
        if res.is_ok() {
            self.apply(effect);
        }
        res
    }

    async fn send(&mut self, operation_xml: &str) -> Result<RpcReply> {
        let timeout = self.lease().rpc_timeout();
        let (sess, device) = self.parts();
        let span =
            tracing::debug_span!("netpool.rpc", device = %device, session = ?sess.session_id);
        let call = tracing::Instrument::instrument(sess.rpc(&device, operation_xml), span);
        let started = Started::now();
        let res = match tokio::time::timeout(timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(Error::RpcTimeout {
                device: device.label().to_string(),
                after: timeout,
            }),
        };
        let meters = &self.lease().slot.meters;
        match &res {
            // Refused before it was sent (malformed): it never reached the device.
            Err(Error::InvalidRequest { .. }) => {}
            r => meters.finish(started, r.as_ref().err().map(RpcErrorKind::of)),
        }
        if let Err(e) = &res {
            self.note_failure(e);
        }
        res
    }

    /// A timeout, transport or protocol failure discards the session; a failure whose
    /// connection is gone marks the connection too (never the reverse: a connection
    /// marked broken elsewhere stays broken).
    fn note_failure(&mut self, e: &Error) {
        match e {
            Error::RpcTimeout { .. } => self.discard = Some(DiscardReason::RpcTimeout),
            Error::Transport { .. } => self.discard = Some(DiscardReason::Transport),
            Error::Protocol { .. } => self.discard = Some(DiscardReason::Protocol),
            _ => {}
        }
        if let (Some(_), Some(s)) = (self.discard, self.session.as_ref()) {
            if s.conn().handle.is_closed() {
                s.conn()
                    .broken
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    /// Relay an `<rpc>` written by someone else, such as a proxy's client: `doc` as the
    /// client sent it and `rpc` its parse. The reply comes back as the device wrote it,
    /// with the client's own message-id; rpc-errors are part of it, not an `Err`. A
    /// timeout, transport or protocol failure is an `Err` and discards the session, and
    /// lock and candidate state are tracked as for [`NetconfGuard::rpc`].
    pub async fn relay(&mut self, rpc: &Rpc, doc: &[u8]) -> Result<RelayedReply> {
        let timeout = self.lease().rpc_timeout();
        self.relay_within(rpc, doc, timeout).await
    }

    /// [`NetconfGuard::relay`] bounded by `timeout` instead of the pool's `rpc_timeout`:
    /// for a client that sets its own (PyEZ's `dev.timeout`, ncclient's `m.timeout`).
    pub async fn relay_within(
        &mut self,
        rpc: &Rpc,
        doc: &[u8],
        timeout: std::time::Duration,
    ) -> Result<RelayedReply> {
        let effect = ConfigEffect::of_operation(&rpc.operation);
        self.begin(effect);
        let (sess, device) = self.parts();
        let started = Started::now();
        let res = match tokio::time::timeout(timeout, sess.relay(&device, doc)).await {
            Ok(r) => r,
            Err(_) => Err(Error::RpcTimeout {
                device: device.label().to_string(),
                after: timeout,
            }),
        };
        let meters = &self.lease().slot.meters;
        let relayed = match res {
            Ok(r) => r,
            Err(e) => {
                // A request refused before it was sent (it would smuggle a second message)
                // never reached the device: not counted.
                if !matches!(e, Error::InvalidRequest { .. }) {
                    meters.finish(started, Some(RpcErrorKind::of(&e)));
                }
                self.note_failure(&e);
                return Err(e);
            }
        };
        let refused = relayed.parsed.first_error().is_some();
        meters.finish(started, refused.then_some(RpcErrorKind::RpcError));
        if !refused {
            self.apply(effect);
        }
        Ok(relayed.reply)
    }

    /// Whether the session holds the lock or has uncommitted (or private) changes: it
    /// would be closed rather than lent again unless [`NetconfGuard::reset`] cleans it.
    pub fn needs_reset(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.locked || s.dirty || s.private)
    }

    /// Make the session fit for its next borrower: close a private or exclusive
    /// configuration, discard uncommitted changes and release the lock, as Junos wants
    /// them (close-configuration, discard-changes, unlock). An error means the session
    /// could not be cleaned; it is then discarded when dropped.
    pub async fn reset(&mut self) -> Result<()> {
        if self.session.as_ref().is_some_and(|s| s.private) {
            self.rpc("<close-configuration/>").await?;
        }
        if self.session.as_ref().is_some_and(|s| s.dirty) {
            self.rpc("<discard-changes/>").await?;
        }
        if self.session.as_ref().is_some_and(|s| s.locked) {
            self.rpc("<unlock><target><candidate/></target></unlock>")
                .await?;
        }
        Ok(())
    }

    /// Before sending: an RPC that may change the candidate marks the session dirty
    /// whether or not its reply ever arrives.
    fn begin(&mut self, effect: ConfigEffect) {
        if matches!(effect, ConfigEffect::Dirties | ConfigEffect::Opens) {
            self.session.as_mut().expect("session").dirty = true;
        }
    }

    /// After a successful reply: what the RPC did to the session's state.
    fn apply(&mut self, effect: ConfigEffect) {
        let sess = self.session.as_mut().expect("session");
        match effect {
            ConfigEffect::Locks => sess.locked = true,
            ConfigEffect::Unlocks => sess.locked = false,
            ConfigEffect::Cleans => sess.dirty = false,
            // Junos keeps what was loaded into the shared candidate across
            // close-configuration, and a lock outlives it: only the private
            // configuration is gone. A session that loaded stays dirty, to be discarded.
            ConfigEffect::Closes => sess.private = false,
            ConfigEffect::Opens => sess.private = true,
            ConfigEffect::Dirties | ConfigEffect::None => {}
        }
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
            .await
            .map(drop)
    }

    /// Unlock the candidate configuration.
    pub async fn unlock(&mut self) -> Result<()> {
        self.rpc("<unlock><target><candidate/></target></unlock>")
            .await
            .map(drop)
    }

    /// Load a change into the candidate. Until commit or discard, the session is dirty and
    /// will not be returned to the pool. Errors Junos nests in
    /// `<load-configuration-results>` fail the call with every error.
    pub async fn load(&mut self, change: &ConfigChange) -> Result<RpcReply> {
        self.rpc(&change.to_rpc()).await
    }

    /// Commit the candidate. Errors Junos nests in `<commit-results>` (per routing
    /// engine) fail the call with every error; the session then stays dirty.
    pub async fn commit(&mut self, comment: Option<&str>) -> Result<CommitOutcome> {
        self.commit_with("", comment).await
    }

    async fn commit_with(&mut self, options: &str, comment: Option<&str>) -> Result<CommitOutcome> {
        let log = log_element(comment);
        let reply = self
            .rpc(&format!(
                "<commit-configuration>{options}{log}</commit-configuration>"
            ))
            .await?;
        Ok(CommitOutcome { reply })
    }

    /// Commit with automatic rollback: unless [`NetconfGuard::commit`] (or another commit)
    /// confirms it within `minutes`, the device rolls the change back by itself.
    pub async fn commit_confirmed(
        &mut self,
        minutes: u32,
        comment: Option<&str>,
    ) -> Result<CommitOutcome> {
        let options = format!("<confirmed/><confirm-timeout>{minutes}</confirm-timeout>");
        self.commit_with(&options, comment).await
    }

    /// Check the candidate without committing it.
    pub async fn commit_check(&mut self) -> Result<RpcReply> {
        self.rpc("<commit-configuration><check/></commit-configuration>")
            .await
    }

    /// Throw away uncommitted candidate changes.
    pub async fn discard_changes(&mut self) -> Result<()> {
        self.rpc("<discard-changes/>").await.map(drop)
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
            } else if sess.dirty || sess.private {
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

fn log_element(comment: Option<&str>) -> String {
    comment
        .map(|c| format!("<log>{}</log>", escape_text(c)))
        .unwrap_or_default()
}

/// What an RPC does to a session's configuration state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConfigEffect {
    None,
    /// Changes the candidate (or opens a private one): dirty until committed or discarded.
    Dirties,
    /// Takes the configuration lock.
    Locks,
    /// Releases the lock.
    Unlocks,
    /// Leaves the candidate clean (a commit that is not a check, discard-changes).
    Cleans,
    /// Closes a private or exclusive configuration (the shared candidate's changes and
    /// the lock stay, as on Junos).
    Closes,
    /// Opens a private or exclusive configuration (dirty until closed).
    Opens,
}

impl ConfigEffect {
    /// The effect of an operation written as XML (the pool's own RPCs, raw `rpc()`).
    fn of(operation_xml: &str) -> ConfigEffect {
        let checks = operation_xml.contains("<check/>") || operation_xml.contains("<check>");
        Self::named(operation_name(operation_xml), checks)
    }

    /// The effect of a parsed operation (a relayed client's RPC).
    fn of_operation(op: &netconf_wire::Element) -> ConfigEffect {
        Self::named(&op.name, op.has("check"))
    }

    /// The effect of the operation `name`; `checks` when it holds `<check/>` (a commit
    /// check changes nothing).
    fn named(name: &str, checks: bool) -> ConfigEffect {
        match name {
            "load-configuration" | "edit-config" => ConfigEffect::Dirties,
            "open-configuration" => ConfigEffect::Opens,
            "lock" | "lock-configuration" => ConfigEffect::Locks,
            "unlock" | "unlock-configuration" => ConfigEffect::Unlocks,
            "commit-configuration" | "commit" if !checks => ConfigEffect::Cleans,
            "discard-changes" => ConfigEffect::Cleans,
            "close-configuration" => ConfigEffect::Closes,
            _ => ConfigEffect::None,
        }
    }
}

/// The local name of the first element of an operation (`<junos:load-configuration ...>`
/// gives `load-configuration`).
fn operation_name(xml: &str) -> &str {
    let mut rest = xml;
    loop {
        let Some(i) = rest.find('<') else { return "" };
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let qname = &rest[..end];
        return qname.rsplit(':').next().unwrap_or(qname);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_rpcs_are_tracked_like_typed_ones() {
        use ConfigEffect::*;
        for (xml, effect) in [
            ("<load-configuration action=\"set\"/>", Dirties),
            ("<?xml version=\"1.0\"?><junos:edit-config/>", Dirties),
            ("<open-configuration><private/></open-configuration>", Opens),
            ("<lock><target><candidate/></target></lock>", Locks),
            ("<lock-configuration/>", Locks),
            ("<unlock-configuration/>", Unlocks),
            ("<commit-configuration/>", Cleans),
            (
                "<commit-configuration><log>x</log></commit-configuration>",
                Cleans,
            ),
            (
                "<commit-configuration><check/></commit-configuration>",
                None,
            ),
            ("<discard-changes/>", Cleans),
            ("<close-configuration/>", Closes),
            ("<get-software-information/>", None),
            ("", None),
        ] {
            assert_eq!(ConfigEffect::of(xml), effect, "{xml}");
        }
    }
}
