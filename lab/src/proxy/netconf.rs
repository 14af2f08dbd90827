//! A client NETCONF session through the proxy: session mode, as pgbouncer's.
//!
//! The client's channel leases one pooled upstream session for its lifetime. The proxy
//! answers the client's hello with the device's capabilities and a session-id of its
//! own, relays each `<rpc>` byte for byte (only the message-id is rewritten on the way
//! out and back), and handles two operations itself:
//!
//! - `close-session`: answered `<ok/>`; the upstream session goes back to the pool.
//! - `kill-session`: the client session with that proxy session-id ends, as Junos ends
//!   the session it names: its channel closes and its lease goes back cleaned (whatever
//!   upstream session it holds by then, or none); `<ok/>` once it has. An id that is not a
//!   live session of this endpoint is `invalid-value`, as on Junos.
//!
//! However the client leaves (close-session, disconnect, idle timeout, proxy shutdown),
//! an upstream session that holds the lock, uncommitted changes or an open private
//! configuration is cleaned (close-configuration, discard-changes, unlock) before it is
//! lent again, or discarded if cleaning fails. An upstream failure reaches the client as
//! an `<rpc-error>` naming it, never a hang. If the failed session held the lock or
//! changes, the client's session then ends (its state is gone); otherwise the next RPC
//! leases a fresh upstream session. A client that could not get a session at all has its
//! RPC refused with `resource-denied`, and the next RPC tries again.

use std::sync::atomic::Ordering::Relaxed;

use futures::StreamExt;
use netconf_wire::{FrameCodec, Framing, Hello, Rpc, RpcError, RpcReply, BASE_1_0};
use russh::server::Msg;
use russh::Channel;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio_util::codec::FramedRead;

use super::Shared;

/// Serve a client NETCONF channel until it ends.
pub(super) async fn serve(shared: &Shared, endpoint: usize, channel: Channel<Msg>) {
    let ep = &shared.endpoints[endpoint];
    ep.counters.netconf_sessions.fetch_add(1, Relaxed);
    // Session mode: the lease is taken before the hello, so the client is answered with
    // the device's own capabilities (and waits FIFO, up to the checkout timeout, when
    // every upstream session is lent).
    // Boxed, as the other rare waits below: the idle client's task stays small.
    let (lease, refusal) = match Box::pin(shared.lease(endpoint)).await {
        Ok(l) => (Some(l), None),
        Err(_) if shared.token.is_cancelled() => return,
        Err(why) => (None, Some(why)),
    };
    let (id, killed) = shared.sessions.open(endpoint);
    let (mut rd, wr) = channel.split();
    let mut relay = Relay {
        shared,
        endpoint,
        id,
        lease,
        refusal,
        enc: FrameCodec::default(),
        killed,
    };
    let ended = relay
        .run(
            FramedRead::with_capacity(
                rd.make_reader(),
                FrameCodec::new(shared.max_message),
                READ_BUFFER,
            ),
            wr.make_writer(),
        )
        .await;
    tracing::debug!(endpoint = %ep.name, session = id, "client session ended: {ended}");
    let _ = wr.eof().await;
    let _ = wr.close().await;
    if let Some(lease) = relay.lease.take() {
        lease.give_back().await;
    }
    shared.sessions.close(id);
}

struct Relay<'a> {
    shared: &'a Shared,
    endpoint: usize,
    id: u32,
    lease: Option<super::Leased<'a>>,
    /// Why there is no upstream session: the next RPC is answered with this error (and
    /// the one after tries to lease again).
    refusal: Option<String>,
    enc: FrameCodec,
    /// Cancelled by another client's kill-session of this one.
    killed: tokio_util::sync::CancellationToken,
}

impl Relay<'_> {
    fn counters(&self) -> &super::EndpointCounters {
        &self.shared.endpoints[self.endpoint].counters
    }

    /// Relay until the client leaves; the result says how it ended.
    async fn run<R, W>(&mut self, mut rd: FramedRead<R, FrameCodec>, mut wr: W) -> &'static str
    where
        R: tokio::io::AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let caps = match &self.lease {
            Some(l) => l.session.capabilities().to_vec(),
            // No upstream session yet: its framing is unknown, so base:1.0 alone (the
            // proxy never offers chunked framing it might have to relay over base:1.0).
            None => vec![BASE_1_0.to_string()],
        };
        let ours = Hello::server(caps, self.id);
        if self.write(&mut wr, ours.to_xml().as_bytes()).await.is_err() {
            return "client gone before the hello";
        }
        let theirs = match self.next(&mut rd).await {
            Ok(f) => match Hello::parse(&f) {
                Ok(h) => h,
                Err(_) => return "bad client hello",
            },
            Err(why) => return why,
        };
        if ours.shares_no_base(&theirs) {
            // Say so in the log; the client gets its channel closed (RFC 6241 section 8.1).
            return "client hello shares no base capability with the proxy's";
        }
        if ours.negotiate(&theirs) == Framing::Chunked {
            rd.decoder_mut().set_framing(Framing::Chunked);
            self.enc.set_framing(Framing::Chunked);
        }
        loop {
            let frame = match self.next(&mut rd).await {
                Ok(f) => f,
                Err(why) => return why,
            };
            // The head of the message only: it is relayed as bytes, so its body never becomes
            // a tree here (memory per message: the frame, and a bounded head).
            let rpc = match Rpc::parse_head(&frame) {
                Ok(r) => r,
                Err(e) => {
                    let err =
                        RpcError::new("rpc", "malformed-message", format!("malformed rpc: {e}"));
                    if self.write(&mut wr, &error_reply(&[], &err)).await.is_err() {
                        return "client gone";
                    }
                    continue;
                }
            };
            match rpc.operation.name.as_str() {
                "close-session" => {
                    let _ = self.write(&mut wr, ok_reply(&rpc).as_bytes()).await;
                    return "close-session";
                }
                "kill-session" => {
                    let reply = Box::pin(self.kill_session(&rpc)).await;
                    if self.write(&mut wr, &reply).await.is_err() {
                        return "client gone";
                    }
                    continue;
                }
                _ => {}
            }
            self.counters().rpcs.fetch_add(1, Relaxed);
            self.counters()
                .bytes_to_device
                .fetch_add(frame.len() as u64, Relaxed);
            if self.lease.is_none() && self.refusal.is_none() {
                // The last upstream session failed holding nothing: a fresh one.
                match Box::pin(self.shared.lease(self.endpoint)).await {
                    Ok(l) => self.lease = Some(l),
                    Err(why) => self.refusal = Some(why),
                }
            }
            let Some(lease) = self.lease.as_mut() else {
                let why = self.refusal.take().unwrap_or_default();
                let err = RpcError::new("application", "resource-denied", why);
                if self
                    .write(&mut wr, &error_reply(&rpc.attrs, &err))
                    .await
                    .is_err()
                {
                    return "client gone";
                }
                continue;
            };
            let stateful = lease.session.needs_reset();
            let relayed = Box::pin(lease.session.relay(&rpc, &frame)).await;
            // The request's bytes are no longer needed while the reply is written.
            drop(frame);
            match relayed {
                Ok(reply) => {
                    let parts = reply.parts();
                    let n: usize = parts.iter().map(|p| p.len()).sum();
                    self.counters().bytes_to_client.fetch_add(n as u64, Relaxed);
                    if self.write_parts(&mut wr, &parts).await.is_err() {
                        return "client gone";
                    }
                }
                Err(e @ netpool::Error::InvalidRequest { .. }) => {
                    // The client's message could not be relayed safely (it would smuggle a
                    // second one past the upstream framing): nothing was sent, and the
                    // upstream session stays lent and healthy.
                    let err =
                        RpcError::new("rpc", "malformed-message", format!("netlab proxy: {e}"));
                    if self
                        .write(&mut wr, &error_reply(&rpc.attrs, &err))
                        .await
                        .is_err()
                    {
                        return "client gone";
                    }
                }
                Err(e) => {
                    self.counters().errors.fetch_add(1, Relaxed);
                    let err = RpcError::new(
                        "application",
                        "operation-failed",
                        format!("netlab proxy: upstream session failed: {e}"),
                    );
                    let written = self.write(&mut wr, &error_reply(&rpc.attrs, &err)).await;
                    // The broken upstream session is discarded.
                    drop(self.lease.take());
                    if stateful || written.is_err() {
                        // Its lock and candidate changes went with it: the client's
                        // session ends too, rather than go on without them.
                        return "upstream failed while holding configuration state";
                    }
                    // Nothing was held: the next RPC leases a fresh upstream session, as
                    // the pool replaces any dead session.
                }
            }
        }
    }

    /// The next client message, within the idle timeout and until shutdown.
    async fn next<R: tokio::io::AsyncRead + Unpin>(
        &self,
        rd: &mut FramedRead<R, FrameCodec>,
    ) -> Result<bytes::Bytes, &'static str> {
        tokio::select! {
            r = tokio::time::timeout(self.shared.client_idle_timeout, rd.next()) => match r {
                Ok(Some(Ok(f))) => Ok(f),
                Ok(Some(Err(_))) => Err("client framing error"),
                Ok(None) => Err("client disconnected"),
                Err(_) => Err("client idle timeout"),
            },
            _ = self.shared.token.cancelled() => Err("proxy shutting down"),
            _ = self.killed.cancelled() => Err("killed by kill-session"),
        }
    }

    /// Write one message to the client.
    async fn write<W: AsyncWrite + Unpin>(
        &mut self,
        wr: &mut W,
        doc: &[u8],
    ) -> std::io::Result<()> {
        self.write_parts(wr, &[doc]).await
    }

    /// Write a message given as consecutive parts (a relayed reply: its rewritten head,
    /// then the device's bytes) without joining large ones. One that base:1.0 cannot
    /// frame (it holds "]]>]]>") becomes an error reply instead.
    async fn write_parts<W: AsyncWrite + Unpin>(
        &mut self,
        wr: &mut W,
        parts: &[&[u8]],
    ) -> std::io::Result<()> {
        match self.enc.frame_parts(parts) {
            Ok(framed) => framed.write_to(wr, parts).await?,
            Err(e) => {
                let err = RpcError::new("rpc", "operation-failed", format!("netlab proxy: {e}"));
                let doc = error_reply(&[], &err);
                // Its text is escaped, so it frames in either framing.
                if let Ok(framed) = self.enc.frame_parts(&[&doc]) {
                    framed.write_to(wr, &[&doc]).await?;
                }
            }
        }
        wr.flush().await
    }

    /// `kill-session` with the proxy's session-id: the named client session ends, as on
    /// Junos. Its channel closes and its lease goes back cleaned, whatever upstream
    /// session it holds now (or none); the reply waits until it has (bounded).
    async fn kill_session(&mut self, rpc: &Rpc) -> Vec<u8> {
        let invalid =
            |msg: String| error_reply(&rpc.attrs, &RpcError::new("protocol", "invalid-value", msg));
        let Some(target) = rpc
            .operation
            .child_text("session-id")
            .and_then(|t| t.trim().parse::<u32>().ok())
        else {
            return error_reply(
                &rpc.attrs,
                &RpcError::new(
                    "protocol",
                    "missing-element",
                    "kill-session needs a session-id",
                )
                .with_info("bad-element", "session-id"),
            );
        };
        if target == self.id {
            return invalid(format!(
                "session-id {target} is this session (use close-session)"
            ));
        }
        if !self.shared.sessions.kill(self.endpoint, target) {
            return invalid(format!(
                "session-id {target} is not a session of this device"
            ));
        }
        self.counters().kill_sessions.fetch_add(1, Relaxed);
        let deadline = tokio::time::Instant::now() + KILL_WAIT;
        while self.shared.sessions.is_live(target) {
            if tokio::time::Instant::now() > deadline {
                return error_reply(
                    &rpc.attrs,
                    &RpcError::new(
                        "application",
                        "operation-failed",
                        format!("netlab proxy: session {target} was told to end and has not within {KILL_WAIT:?} (its current RPC is still running)"),
                    ),
                );
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(5)) => {}
                // Killed itself meanwhile (two sessions killing each other): answer now,
                // then end at the next read.
                _ = self.killed.cancelled() => break,
            }
        }
        ok_reply(rpc).into_bytes()
    }
}

/// A client's read buffer to begin with: a hello or a small RPC fits, a larger message
/// grows it (up to `--max-message`). Every idle client session holds it.
const READ_BUFFER: usize = 512;

/// How long kill-session waits for its target to end (an RPC in flight finishes first).
const KILL_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

fn ok_reply(rpc: &Rpc) -> String {
    format!(
        "{}\n<ok/>\n</rpc-reply>",
        RpcReply::open_tag(&rpc.attrs, &[])
    )
}

fn error_reply(attrs: &[(String, String)], err: &RpcError) -> Vec<u8> {
    format!(
        "{}\n{}</rpc-reply>",
        RpcReply::open_tag(attrs, &[]),
        err.to_xml()
    )
    .into_bytes()
}
