//! A client NETCONF session through the proxy: session mode, as pgbouncer's.
//!
//! The client's channel leases one pooled upstream session for its lifetime. The proxy
//! answers the client's hello with the device's capabilities and a session-id of its
//! own, relays each `<rpc>` byte for byte (only the message-id is rewritten on the way
//! out and back), and handles two operations itself:
//!
//! - `close-session`: answered `<ok/>`; the upstream session goes back to the pool.
//! - `kill-session`: the proxy's session-id is mapped to the upstream one it leases, and
//!   the upstream session is killed on the device; an id that is not a live session of
//!   this endpoint is `invalid-value`, as on Junos.
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

use bytes::BytesMut;
use futures::StreamExt;
use netconf_wire::{
    Element, FrameCodec, Framing, Hello, Rpc, RpcError, RpcReply, BASE_1_0, BASE_1_1,
};
use russh::server::Msg;
use russh::Channel;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio_util::codec::{Encoder, FramedRead};

use super::Shared;

/// The largest client message the proxy takes (a large configuration load fits).
const MAX_CLIENT_FRAME: usize = 64 * 1024 * 1024;

/// Serve a client NETCONF channel until it ends.
pub(super) async fn serve(shared: &Shared, endpoint: usize, channel: Channel<Msg>) {
    let ep = &shared.endpoints[endpoint];
    ep.counters.netconf_sessions.fetch_add(1, Relaxed);
    // Session mode: the lease is taken before the hello, so the client is answered with
    // the device's own capabilities (and waits FIFO, up to the checkout timeout, when
    // every upstream session is lent).
    let (lease, refusal) = match shared.lease(endpoint).await {
        Ok(l) => (Some(l), None),
        Err(_) if shared.token.is_cancelled() => return,
        Err(why) => (None, Some(why)),
    };
    let upstream_id = lease.as_ref().and_then(|l| l.session.session_id());
    let id = shared.sessions.open(endpoint, upstream_id);
    let (mut rd, wr) = channel.split();
    let mut relay = Relay {
        shared,
        endpoint,
        id,
        lease,
        refusal,
        enc: FrameCodec::default(),
    };
    let ended = relay
        .run(
            FramedRead::with_capacity(rd.make_reader(), FrameCodec::new(MAX_CLIENT_FRAME), 2048),
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
            None => vec![BASE_1_0.to_string(), BASE_1_1.to_string()],
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
        if ours.negotiate(&theirs) == Framing::Chunked {
            rd.decoder_mut().set_framing(Framing::Chunked);
            self.enc.set_framing(Framing::Chunked);
        }
        loop {
            let frame = match self.next(&mut rd).await {
                Ok(f) => f,
                Err(why) => return why,
            };
            let rpc = match Rpc::parse(&frame) {
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
                    let reply = self.kill_session(&rpc).await;
                    if self.write(&mut wr, &reply).await.is_err() {
                        return "client gone";
                    }
                    continue;
                }
                _ => {}
            }
            self.counters().rpcs.fetch_add(1, Relaxed);
            if self.lease.is_none() && self.refusal.is_none() {
                // The last upstream session failed holding nothing: a fresh one.
                match self.shared.lease(self.endpoint).await {
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
            match lease.session.relay(&rpc, &frame).await {
                Ok(reply) => {
                    if self.write(&mut wr, &reply).await.is_err() {
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
        }
    }

    async fn write<W: AsyncWrite + Unpin>(
        &mut self,
        wr: &mut W,
        doc: &[u8],
    ) -> std::io::Result<()> {
        let mut buf = BytesMut::with_capacity(doc.len() + 32);
        if let Err(e) = self.enc.encode(doc, &mut buf) {
            // A reply base:1.0 cannot frame (it holds "]]>]]>"): an error instead.
            buf.clear();
            let err = RpcError::new("rpc", "operation-failed", format!("netlab proxy: {e}"));
            let _ = self.enc.encode(error_reply(&[], &err).as_slice(), &mut buf);
        }
        wr.write_all(&buf).await?;
        wr.flush().await
    }

    /// `kill-session` with the proxy's session-id: kill the upstream session that client
    /// session leases.
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
        let upstream = match self.shared.sessions.upstream_of(self.endpoint, target) {
            None => {
                return invalid(format!(
                    "session-id {target} is not a session of this device"
                ))
            }
            Some(None) => return ok_reply(rpc).into_bytes(),
            Some(Some(u)) => u,
        };
        let Some(lease) = self.lease.as_mut() else {
            let why = self.refusal.clone().unwrap_or_default();
            return error_reply(
                &rpc.attrs,
                &RpcError::new("application", "resource-denied", why),
            );
        };
        // The client's rpc with the upstream session-id in place of the proxy's.
        let forwarded = Rpc {
            attrs: rpc.attrs.clone(),
            operation: Element::new("kill-session")
                .with_child(Element::new("session-id").with_text(upstream.to_string())),
        };
        let mut root = Element::new("rpc").with_child(forwarded.operation.clone());
        root.attrs = forwarded.attrs.clone();
        match lease
            .session
            .relay(&forwarded, root.to_xml().as_bytes())
            .await
        {
            Ok(reply) => reply,
            Err(e) => error_reply(
                &rpc.attrs,
                &RpcError::new(
                    "application",
                    "operation-failed",
                    format!("netlab proxy: {e}"),
                ),
            ),
        }
    }
}

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
