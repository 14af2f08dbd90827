//! The NETCONF server of a simulated device, as Junos speaks it.

use std::sync::atomic::Ordering::Relaxed;

use bytes::BytesMut;
use futures::StreamExt;
use netconf_wire::{
    Element, FrameCodec, FrameError, Framing, Hello, Rpc, RpcError, RpcReply, BASE_1_0, BASE_1_1,
};
use russh::server::Msg;
use russh::Channel;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use crate::commands::{
    configuration_text, output_element, render_text, render_xml, CommandLine, Pieces, Pipe, Show,
    JUNOS_NS,
};
use crate::counters::GaugeGuard;
use crate::ctx::ChannelCtx;
use crate::engine::engine_time;
use crate::router::Router;
use crate::state::Denied;
use crate::sync::lock;

mod config;

/// The capabilities a Junos 21.4 device announces.
pub fn junos_capabilities(with_1_1: bool) -> Vec<String> {
    let mut caps = vec![
        BASE_1_0,
        "urn:ietf:params:netconf:capability:candidate:1.0",
        "urn:ietf:params:netconf:capability:confirmed-commit:1.0",
        "urn:ietf:params:netconf:capability:validate:1.0",
        "urn:ietf:params:netconf:capability:url:1.0?scheme=http,ftp,file",
        "urn:ietf:params:xml:ns:netconf:base:1.0",
        "urn:ietf:params:xml:ns:netconf:capability:candidate:1.0",
        "urn:ietf:params:xml:ns:netconf:capability:confirmed-commit:1.0",
        "urn:ietf:params:xml:ns:netconf:capability:validate:1.0",
        "urn:ietf:params:xml:ns:netconf:capability:url:1.0?scheme=http,ftp,file",
        "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring",
        "http://xml.juniper.net/netconf/junos/1.0",
        "http://xml.juniper.net/dmi/system/1.0",
    ];
    if with_1_1 {
        caps.insert(1, BASE_1_1);
    }
    caps.into_iter().map(String::from).collect()
}

pub(crate) enum Body {
    Ok,
    Data(Pieces),
    Error(RpcError),
}

pub(crate) struct Session<'a> {
    dev: &'a Router,
    id: u32,
    user: &'a str,
}

pub(crate) async fn serve(channel: Channel<Msg>, ctx: &ChannelCtx) {
    let dev = &ctx.dev;
    let spawn = dev.inner.config.timing.session_spawn;
    if !spawn.is_zero() {
        tokio::time::sleep(spawn).await;
    }
    let hello_delay = dev.inner.control.hello_delay_ms.load(Relaxed);
    if hello_delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(hello_delay)).await;
    }
    let id = dev.next_session_id();
    let counters = &dev.inner.counters;
    counters.netconf_sessions.fetch_add(1, Relaxed);
    let _open = GaugeGuard::new(&counters.netconf_open);
    let kill = CancellationToken::new();
    lock(&dev.inner.netconf_kill).insert(id, kill.clone());
    dev.state().open_session(id, &ctx.user, "netconf");

    let session = Session {
        dev,
        id,
        user: &ctx.user,
    };
    let (mut rd, wr) = channel.split();
    let killed = tokio::select! {
        _ = kill.cancelled() => true,
        _ = session.run(rd.make_reader(), wr.make_writer()) => false,
    };
    // The session's process is gone, as on Junos: the client sees the channel end (EOF,
    // unless the session already sent it, then close) whether it asked or was killed.
    if killed {
        let _ = wr.eof().await;
    }
    let _ = wr.close().await;

    lock(&dev.inner.netconf_kill).remove(&id);
    dev.state().session_ended(id);
}

impl Session<'_> {
    async fn run(&self, rd: impl AsyncRead + Unpin, mut wr: impl AsyncWrite + Unpin) {
        let dev = self.dev;
        // RPCs are small: a 1 KiB buffer to start (it grows for a large edit-config).
        let mut reader =
            FramedRead::with_capacity(rd, FrameCodec::new(dev.inner.config.max_frame), 1024);
        let mut enc = FrameCodec::default();
        let ours = Hello::server(junos_capabilities(dev.inner.config.netconf_1_1), self.id);
        if write_message(&mut wr, &enc, std::iter::once(ours.to_xml()))
            .await
            .is_err()
        {
            return;
        }
        let peer = match reader.next().await {
            Some(Ok(frame)) => match Hello::parse(&frame) {
                Ok(h) => h,
                Err(e) => {
                    dev.inner.counters.bad_frames.fetch_add(1, Relaxed);
                    tracing::debug!(device = %dev.hostname(), session = self.id, "bad client hello: {e}");
                    return;
                }
            },
            Some(Err(e)) => {
                dev.inner.counters.bad_frames.fetch_add(1, Relaxed);
                tracing::debug!(device = %dev.hostname(), session = self.id, "bad frame before hello: {e}");
                return;
            }
            None => return,
        };
        let framing = ours.negotiate(&peer);
        if framing == Framing::Chunked {
            reader.decoder_mut().set_framing(framing);
            enc.set_framing(framing);
        }
        loop {
            let frame = match reader.next().await {
                Some(Ok(f)) => f,
                Some(Err(e)) => {
                    dev.inner.counters.bad_frames.fetch_add(1, Relaxed);
                    tracing::debug!(device = %dev.hostname(), session = self.id, "framing error, closing: {e}");
                    if let FrameError::TooLarge { .. } | FrameError::BadChunkHeader(_) = e {
                        let err = RpcError::new("rpc", "malformed-message", e.to_string());
                        let _ =
                            write_message(&mut wr, &enc, reply_pieces(&[], Body::Error(err))).await;
                    }
                    return;
                }
                None => return,
            };
            let rpc = match Rpc::parse(&frame) {
                Ok(r) => r,
                Err(e) => {
                    dev.inner.counters.bad_frames.fetch_add(1, Relaxed);
                    dev.inner.counters.rpc_errors.fetch_add(1, Relaxed);
                    let err =
                        RpcError::new("rpc", "malformed-message", format!("malformed rpc: {e}"));
                    if write_message(&mut wr, &enc, reply_pieces(&[], Body::Error(err)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    continue;
                }
            };
            dev.inner.counters.rpcs.fetch_add(1, Relaxed);
            let (body, close) = self.handle(&rpc).await;
            if matches!(body, Body::Error(_)) {
                dev.inner.counters.rpc_errors.fetch_add(1, Relaxed);
            }
            if write_message(&mut wr, &enc, reply_pieces(&rpc.attrs, body))
                .await
                .is_err()
                || close
            {
                let _ = wr.shutdown().await;
                return;
            }
        }
    }

    async fn handle(&self, rpc: &Rpc) -> (Body, bool) {
        let op = &rpc.operation;
        if op.name == "command" {
            return (self.command(op).await, false);
        }
        let show = match Show::from_rpc(op) {
            Ok(s) => s,
            Err(e) => return (Body::Error(*e), false),
        };
        if let Some(show) = show {
            let timing = &self.dev.inner.config.timing;
            engine_time(self.dev, timing.service_time(Some(&show))).await;
            let state = self.dev.state();
            let body = if op.attr("format") == Some("text") {
                let text: String = render_text(&show, &self.dev.inner.spec, &state).collect();
                Body::Data(Box::new(std::iter::once(output_element(&text))))
            } else if op.attr("format") == Some("json") {
                let xml: String = render_xml(&show, &self.dev.inner.spec, &state).collect();
                match crate::commands::junos_json(&xml) {
                    Ok(json) => Body::Data(Box::new(std::iter::once(format!(
                        "\n{}\n",
                        netconf_wire::escape_text(&json)
                    )))),
                    Err(e) => Body::Error(RpcError::new("application", "operation-failed", e)),
                }
            } else {
                Body::Data(render_xml(&show, &self.dev.inner.spec, &state))
            };
            return (body, false);
        }
        if !matches!(op.name.as_str(), "close-session" | "request-end-session") {
            engine_time(self.dev, self.dev.inner.config.timing.service_time(None)).await;
        }
        let body = match op.name.as_str() {
            "get-configuration" => self.get_configuration(op),
            "get-config" | "get" => self.get_config(op),
            "lock" | "lock-configuration" => self.lock(),
            "unlock" | "unlock-configuration" => self.unlock(),
            "open-configuration" => self.open_configuration(op),
            "close-configuration" => self.close_configuration(),
            "validate" => Body::Ok,
            "load-configuration" => self.load(op),
            "edit-config" => self.edit_config(op),
            "commit-configuration" | "commit" => self.commit(op),
            "discard-changes" => self.discard(),
            "get-rollback-information" => self.rollback_information(op),
            "request-save-rescue-configuration" => self.save_rescue(),
            "request-delete-rescue-configuration" => self.delete_rescue(),
            "get-rescue-information" => self.rescue_information(op),
            "close-session" => return (Body::Ok, true),
            "kill-session" => self.kill_session(op),
            "request-end-session" => return (Body::Ok, true),
            other => {
                tracing::debug!(device = %self.dev.hostname(), session = self.id, operation = other, "unknown RPC");
                Body::Error(
                    RpcError::new("protocol", "operation-failed", "syntax error")
                        .with_info("bad-element", other),
                )
            }
        };
        (body, false)
    }

    async fn command(&self, op: &Element) -> Body {
        self.dev.inner.counters.cli_commands.fetch_add(1, Relaxed);
        let line = op.text.trim();
        let cmd = match CommandLine::parse(line) {
            Ok(c) => c,
            Err(e) => {
                // A command that parses but names something absent ("error: could not
                // resolve file: ...") keeps its message; the rest are syntax errors.
                let message = e.message.strip_prefix("error: ").map_or_else(
                    || "syntax error, expecting <command>".to_string(),
                    |m| m.trim().to_string(),
                );
                return Body::Error(
                    RpcError::new("protocol", "operation-failed", message)
                        .with_info("bad-element", e.bad_word),
                );
            }
        };
        engine_time(
            self.dev,
            self.dev.inner.config.timing.service_time(Some(&cmd.show)),
        )
        .await;
        let state = self.dev.state();
        let spec = &self.dev.inner.spec;
        let format = op.attr("format").unwrap_or("xml");
        if let (Show::Configuration(path), false) = (&cmd.show, cmd.wants_xml()) {
            let text = configuration_text(&state, path, &cmd.pipes);
            if format == "text" || format == "ascii" || cmd.pipes.iter().any(|p| p != &Pipe::NoMore)
            {
                return Body::Data(Box::new(std::iter::once(output_element(
                    &cmd.filter_text(text),
                ))));
            }
            return Body::Data(render_xml(&cmd.show, spec, &state));
        }
        if format == "text" || format == "ascii" {
            let text: String = render_text(&cmd.show, spec, &state).collect();
            Body::Data(Box::new(std::iter::once(output_element(
                &cmd.filter_text(text),
            ))))
        } else {
            Body::Data(render_xml(&cmd.show, spec, &state))
        }
    }

    fn kill_session(&self, op: &Element) -> Body {
        let Some(target) = op
            .child_text("session-id")
            .and_then(|s| s.parse::<u32>().ok())
        else {
            return missing("kill-session needs a session-id", "session-id");
        };
        if target == self.id {
            return Body::Error(RpcError::new(
                "protocol",
                "invalid-value",
                "cannot kill own session",
            ));
        }
        match lock(&self.dev.inner.netconf_kill).get(&target) {
            Some(t) => {
                t.cancel();
                Body::Ok
            }
            None => Body::Error(RpcError::new(
                "protocol",
                "invalid-value",
                format!("no session {target}"),
            )),
        }
    }
}

/// A missing element, as Junos reports it.
pub(crate) fn missing(message: &str, element: &str) -> Body {
    Body::Error(
        RpcError::new("protocol", "missing-element", message).with_info("bad-element", element),
    )
}

/// A refused configuration operation as Junos reports it.
pub(crate) fn denied(d: &Denied) -> Body {
    let tag = match d {
        Denied::NotLocked => "operation-failed",
        _ => "lock-denied",
    };
    let mut e = RpcError::new("protocol", tag, d.message());
    if let Some(s) = d.session() {
        e = e.with_info("session-id", s.to_string());
    }
    Body::Error(e)
}

fn reply_pieces(attrs: &[(String, String)], body: Body) -> Pieces {
    let open = RpcReply::open_tag(attrs, &[("xmlns:junos", JUNOS_NS)]);
    let body: Pieces = match body {
        Body::Ok => Box::new(std::iter::once("\n<ok/>\n".to_string())),
        Body::Data(p) => p,
        Body::Error(e) => Box::new(std::iter::once(e.to_xml())),
    };
    Box::new(
        std::iter::once(open + "\n")
            .chain(body)
            .chain(std::iter::once("</rpc-reply>".to_string())),
    )
}

async fn write_message<W: AsyncWrite + Unpin>(
    w: &mut W,
    enc: &FrameCodec,
    pieces: impl Iterator<Item = String>,
) -> std::io::Result<()> {
    let mut buf = BytesMut::with_capacity(8192);
    for p in pieces {
        enc.encode_part(p.as_bytes(), &mut buf);
        if buf.len() >= 64 * 1024 {
            w.write_all(&buf).await?;
            buf.clear();
        }
    }
    enc.encode_end(&mut buf);
    w.write_all(&buf).await?;
    w.flush().await
}
