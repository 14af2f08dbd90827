//! One SSH channel: what it carries is decided by its first request: exec runs one CLI
//! command (or NETCONF for `xml-mode netconf`), the `netconf` subsystem speaks NETCONF,
//! and a shell (with or without a PTY) is the interactive CLI.

use std::sync::atomic::Ordering::Relaxed;

use russh::server::Msg;
use russh::{Channel, ChannelMsg};

use crate::ctx::ChannelCtx;

/// Serve one channel: the first request decides what it is.
pub(crate) async fn run(mut channel: Channel<Msg>, ctx: ChannelCtx) {
    let mut pty = false;
    loop {
        match channel.wait().await {
            Some(ChannelMsg::Exec { command, .. }) => {
                if ctx.dev.inner.control.refuse_exec.load(Relaxed) {
                    // Refused in the request's reply: nothing runs; the client closes.
                    return;
                }
                let command = String::from_utf8_lossy(&command).trim().to_string();
                if is_xml_mode(&command) {
                    crate::netconf::serve(channel, &ctx).await;
                } else {
                    crate::cli::exec(channel, &ctx, &command).await;
                }
                return;
            }
            Some(ChannelMsg::RequestSubsystem { name, .. }) => {
                if name == "netconf" {
                    crate::netconf::serve(channel, &ctx).await;
                }
                return;
            }
            Some(ChannelMsg::RequestPty { .. }) => pty = true,
            Some(ChannelMsg::RequestShell { .. }) => {
                crate::shell::serve(channel, &ctx, pty).await;
                return;
            }
            Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => return,
            Some(_) => {}
        }
    }
}

/// `xml-mode netconf need-trailer` (what PyEZ and ncclient send over exec) or `netconf`.
fn is_xml_mode(command: &str) -> bool {
    let w: Vec<&str> = command.split_whitespace().collect();
    matches!(
        w.as_slice(),
        ["netconf"] | ["xml-mode", "netconf", ..] | ["junoscript", ..]
    )
}
