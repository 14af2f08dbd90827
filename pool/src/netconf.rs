//! A NETCONF client session on one SSH channel (the unique level of the pool).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use bytes::BytesMut;
use futures::{FutureExt, StreamExt};
use netconf_wire::{FrameCodec, Framing, Hello, Rpc, RpcReply, BASE_1_0, BASE_1_1};
use russh::client::Msg;
use russh::{ChannelMsg, ChannelStream};
use std::pin::Pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio_util::codec::{Encoder, FramedRead};

use crate::channel::ChannelPermit;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::ssh::ChannelMeter;

/// A broken connection is a transport failure; bad framing from a live peer is a protocol one.
fn frame_error(device: &Device, what: &str, e: netconf_wire::FrameError) -> Error {
    let device = device.label().to_string();
    match e {
        netconf_wire::FrameError::Io(_) | netconf_wire::FrameError::Truncated(_) => {
            Error::Transport {
                device,
                detail: format!("{what}: {e}"),
            }
        }
        _ => Error::Protocol {
            device,
            detail: format!("{what}: {e}"),
        },
    }
}

/// The next NETCONF message; a closed channel is a transport error saying `closed`.
async fn next_frame<R: AsyncRead + Unpin>(
    reader: &mut FramedRead<R, FrameCodec>,
    device: &Device,
    what: &str,
    closed: &str,
) -> Result<bytes::Bytes> {
    match reader.next().await {
        Some(Ok(f)) => Ok(f),
        Some(Err(e)) => Err(frame_error(device, what, e)),
        None => Err(Error::Transport {
            device: device.label().to_string(),
            detail: closed.into(),
        }),
    }
}

/// A session's initial read buffer (a hello or a typical reply fits; larger replies grow it).
const READ_BUFFER: usize = 2048;

/// After a reply larger than this, the grown read buffer is released.
const READ_BUFFER_KEPT: usize = 16 * 1024;

/// The client capabilities netpool announces.
pub(crate) fn client_capabilities(offer_1_1: bool) -> Vec<String> {
    let mut caps = vec![BASE_1_0.to_string()];
    if offer_1_1 {
        caps.push(BASE_1_1.to_string());
    }
    caps.push("http://xml.juniper.net/netconf/junos/1.0".into());
    caps
}

/// The session's read side, counting the bytes it takes off the channel (compared with
/// the channel's [`ChannelMeter`] to tell whether anything arrived while idle).
pub(crate) struct Metered<R> {
    inner: R,
    consumed: u64,
}

impl<R: AsyncRead + Unpin> AsyncRead for Metered<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            self.consumed += (buf.filled().len() - before) as u64;
        }
        r
    }
}

/// A relayed reply: the bytes for the relay's client and the parsed reply.
pub(crate) struct Relayed {
    pub(crate) reply: RelayedReply,
    pub(crate) parsed: RpcReply,
}

/// A reply relayed back to the one who wrote the request, with its own message-id: the
/// device's frame as read, with its root start tag rewritten. Kept as the two pieces, so
/// that a large reply is written on without a copy ([`RelayedReply::parts`]).
#[derive(Debug, Clone)]
pub struct RelayedReply {
    head: netconf_wire::Head,
    frame: bytes::Bytes,
}

impl RelayedReply {
    /// The reply as two consecutive slices: the rewritten head, then the rest as read.
    pub fn parts(&self) -> [&[u8]; 2] {
        self.head.parts(&self.frame)
    }

    /// The reply's length in bytes.
    pub fn len(&self) -> usize {
        self.head.head.len() + self.frame.len() - self.head.rest
    }

    /// Whether the reply is empty (it never is: it has a root element).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The reply in one buffer (a copy).
    pub fn to_vec(&self) -> Vec<u8> {
        self.parts().concat()
    }
}

/// An open NETCONF session.
pub(crate) struct NetconfSession {
    reader: FramedRead<Metered<ReadHalf<ChannelStream<Msg>>>, FrameCodec>,
    meter: Arc<ChannelMeter>,
    writer: WriteHalf<ChannelStream<Msg>>,
    enc: FrameCodec,
    next_id: u64,
    pub(crate) session_id: Option<u32>,
    pub(crate) capabilities: Vec<String>,
    pub(crate) framing: Framing,
    /// Holds the configuration lock.
    pub(crate) locked: bool,
    /// Has loaded candidate changes not yet committed or discarded.
    pub(crate) dirty: bool,
    /// Has a private or exclusive configuration open (open-configuration).
    pub(crate) private: bool,
    /// An RPC was sent and its reply not fully read (cancelled mid-flight).
    pub(crate) in_flight: bool,
    pub(crate) created: Instant,
    pub(crate) last_used: Instant,
    /// When the session (or its connection) reaches the pool's max lifetime, if any.
    pub(crate) expires_at: Option<Instant>,
    /// After this instant a checkout health-checks the session first
    /// (`last_used + health_check_after`, kept up to date so checkout only compares).
    pub(crate) check_due: Instant,
    check_after: Duration,
    /// The channel's place on its SSH connection; released when the session drops.
    pub(crate) slot: ChannelPermit,
}

impl NetconfSession {
    /// Open the `netconf` subsystem on a channel of `slot`'s connection and exchange hellos.
    pub(crate) async fn open(
        mut slot: ChannelPermit,
        device: &Device,
        offer_1_1: bool,
        max_frame: usize,
    ) -> Result<Box<NetconfSession>> {
        let label = || device.label().to_string();
        slot.needs_close_ack = true;
        let mut ch = crate::ssh::open_channel(&slot.conn, device).await?;
        let meter = slot.conn.meters.watch(ch.id());
        ch.request_subsystem(true, "netconf")
            .await
            .map_err(|e| Error::Transport {
                device: label(),
                detail: format!("subsystem request: {e}"),
            })?;
        // Wait for the answer; keep any data that races ahead of it (the hello).
        let mut early = BytesMut::new();
        loop {
            match ch.wait().await {
                Some(ChannelMsg::Success) => break,
                Some(ChannelMsg::Failure) => {
                    // A plain channel is not closed on drop: close it, or the server keeps it.
                    let _ = ch.close().await;
                    return Err(Error::SubsystemRejected {
                        device: label(),
                        subsystem: "netconf".into(),
                    });
                }
                Some(ChannelMsg::Data { data }) => {
                    early.extend_from_slice(&data);
                    break;
                }
                Some(ChannelMsg::Close) | Some(ChannelMsg::Eof) | None => {
                    return Err(Error::SubsystemRejected {
                        device: label(),
                        subsystem: "netconf".into(),
                    })
                }
                Some(_) => {}
            }
        }
        let (rd, mut writer) = tokio::io::split(ch.into_stream());
        let rd = Metered {
            inner: rd,
            consumed: early.len() as u64,
        };
        let mut reader = FramedRead::with_capacity(rd, FrameCodec::new(max_frame), READ_BUFFER);
        reader.read_buffer_mut().extend_from_slice(&early);
        let mut enc = FrameCodec::new(max_frame);
        let ours = Hello::client(client_capabilities(offer_1_1));
        let mut buf = BytesMut::new();
        enc.encode(ours.to_xml().as_bytes(), &mut buf)
            .map_err(|e| Error::Protocol {
                device: label(),
                detail: e.to_string(),
            })?;
        writer.write_all(&buf).await.map_err(|e| Error::Transport {
            device: label(),
            detail: format!("sending hello: {e}"),
        })?;
        let frame = next_frame(
            &mut reader,
            device,
            "reading hello",
            "channel closed before the server hello",
        )
        .await?;
        let theirs = Hello::parse(&frame).map_err(|e| Error::Protocol {
            device: label(),
            detail: format!("bad server hello: {e}"),
        })?;
        let framing = ours.negotiate(&theirs);
        reader.decoder_mut().set_framing(framing);
        enc.set_framing(framing);
        let now = Instant::now();
        Ok(Box::new(NetconfSession {
            reader,
            meter,
            writer,
            enc,
            next_id: 1,
            session_id: theirs.session_id,
            capabilities: theirs.capabilities,
            framing,
            locked: false,
            dirty: false,
            private: false,
            in_flight: false,
            created: now,
            last_used: now,
            expires_at: None,
            check_due: now,
            check_after: Duration::ZERO,
            slot,
        }))
    }

    /// Send one RPC and read its reply. An rpc-error of severity `error` is returned as
    /// [`Error::Rpc`]; framing, XML and transport failures as their own errors.
    pub(crate) async fn rpc(&mut self, device: &Device, operation_xml: &str) -> Result<RpcReply> {
        let reply = self.exchange(device, operation_xml).await;
        self.mark_used();
        reply
    }

    /// Count as use: the idle clock, the next health check and the connection's activity.
    fn mark_used(&mut self) {
        let now = Instant::now();
        self.last_used = now;
        self.check_due = later(now, self.check_after);
        self.slot.conn.touch_at(now);
    }

    /// Send an RPC and read its reply, without counting as use (for housekeeping such as
    /// close-session, which must not keep an idle connection alive).
    async fn exchange(&mut self, device: &Device, operation_xml: &str) -> Result<RpcReply> {
        let id = self.next_id;
        self.next_id += 1;
        let (_, reply) = self
            .round_trip(device, &[Rpc::xml(id, operation_xml).as_bytes()], id)
            .await?;
        if let Some(err) = reply.first_error() {
            return Err(Error::Rpc {
                device: device.label().to_string(),
                error: Box::new(err.clone()),
                errors: reply.failures().cloned().collect(),
            });
        }
        Ok(reply)
    }

    /// Relay a whole `<rpc>` document written by someone else (a proxy's client): its
    /// message-id is replaced by this session's own on the way out, and the reply gets
    /// the original back, byte for byte otherwise. An rpc-error stays in the reply.
    pub(crate) async fn relay(&mut self, device: &Device, rpc_doc: &[u8]) -> Result<Relayed> {
        // A document whose root cannot be rewritten is the sender's error, found before
        // anything is sent: the session stays healthy.
        let bad_request = |e: netconf_wire::ParseError| Error::InvalidRequest {
            device: device.label().to_string(),
            detail: format!("relayed rpc: {e}"),
        };
        let id = self.next_id;
        self.next_id += 1;
        // The request goes out as its rewritten head and the rest of the client's bytes,
        // and the reply comes back the same way: no copy of either body.
        let out = netconf_wire::rewrite_head(rpc_doc, Some(id.to_string().as_bytes()))
            .map_err(bad_request)?;
        let (frame, parsed) = self.round_trip(device, &out.parts(rpc_doc), id).await?;
        let head = netconf_wire::rewrite_head(&frame, out.old_id.as_deref()).map_err(|e| {
            Error::Protocol {
                device: device.label().to_string(),
                detail: format!("bad rpc-reply: {e}"),
            }
        })?;
        self.mark_used();
        Ok(Relayed {
            reply: RelayedReply { head, frame },
            parsed,
        })
    }

    /// Write one framed document and read the reply whose message-id is `id`.
    async fn round_trip(
        &mut self,
        device: &Device,
        parts: &[&[u8]],
        id: u64,
    ) -> Result<(bytes::Bytes, RpcReply)> {
        let label = || device.label().to_string();
        let framed = self.enc.frame_parts(parts).map_err(|e| match e {
            netconf_wire::FrameError::DelimiterInMessage { .. } => Error::InvalidRequest {
                device: label(),
                detail: e.to_string(),
            },
            _ => Error::Protocol {
                device: label(),
                detail: e.to_string(),
            },
        })?;
        self.in_flight = true;
        let sending = |e: std::io::Error| Error::Transport {
            device: label(),
            detail: format!("sending rpc: {e}"),
        };
        framed
            .write_to(&mut self.writer, parts)
            .await
            .map_err(sending)?;
        let frame = next_frame(
            &mut self.reader,
            device,
            "reading reply",
            "session closed while waiting for a reply",
        )
        .await?;
        self.in_flight = false;
        if frame.len() > READ_BUFFER_KEPT && self.reader.read_buffer().is_empty() {
            // The buffer grew for a large reply; its now-empty tail still pins that
            // allocation. An idle session keeps a small buffer instead.
            *self.reader.read_buffer_mut() = BytesMut::with_capacity(READ_BUFFER);
        }
        let reply = RpcReply::parse(&frame).map_err(|e| Error::Protocol {
            device: label(),
            detail: format!("bad rpc-reply: {e}"),
        })?;
        let want = id.to_string();
        if reply.message_id() != Some(want.as_str()) {
            // A reply without our message-id may answer an earlier, cancelled request:
            // never take it for this one (the session is then discarded).
            return Err(Error::Protocol {
                device: label(),
                detail: match reply.message_id() {
                    Some(m) => format!("reply message-id {m:?} does not match request {want}"),
                    None => format!("reply without a message-id (request {want})"),
                },
            });
        }
        Ok((frame, reply))
    }

    /// Zero-cost liveness check: the channel has no unread data and has not ended.
    pub(crate) fn looks_alive(&mut self) -> bool {
        if self.slot.conn.is_dead() {
            return false;
        }
        // Everything the server sent has been read, and nothing is left over: the channel
        // queue is empty, no need to poll it.
        if self.reader.read_buffer().is_empty()
            && self.meter.delivered.load(SeqCst) == self.reader.get_ref().consumed
        {
            return true;
        }
        // Anything ready to read on an idle session (EOF, error, unsolicited data) is fatal.
        self.reader.next().now_or_never().is_none()
    }

    /// Polite close: close-session within `bound`, then drop the channel.
    pub(crate) async fn close(mut self, device: &Device, bound: Duration) {
        if !self.slot.conn.is_dead() && !self.in_flight {
            let _ = tokio::time::timeout(bound, self.exchange(device, "<close-session/>")).await;
        }
        let _ = tokio::time::timeout(bound, self.writer.shutdown()).await;
    }

    /// Apply the pool's lifetime and health-check settings (right after open).
    pub(crate) fn set_limits(&mut self, max_lifetime: Option<Duration>, check_after: Duration) {
        self.expires_at = max_lifetime.map(|l| later(self.created.min(self.conn().created), l));
        self.check_after = check_after;
        self.check_due = later(self.last_used, check_after);
    }

    pub(crate) fn conn(&self) -> &Arc<crate::ssh::SshConn> {
        &self.slot.conn
    }
}

/// `t + d`, saturating at a century ahead (a setting of `Duration::MAX` means "never").
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .unwrap_or_else(|| t + Duration::from_secs(100 * 365 * 86_400))
}
