//! One SSH channel: what it carries is decided by its first request: exec runs one CLI
//! command (or NETCONF for `xml-mode netconf`), the `netconf` subsystem speaks NETCONF,
//! and a shell (with or without a PTY) is the interactive CLI.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use russh::server::Msg;
use russh::{Channel, ChannelId, ChannelMsg};

use crate::device::Device;
use crate::sync::lock;

/// What a channel task knows about its connection.
pub(crate) struct ChannelCtx {
    pub(crate) dev: Device,
    pub(crate) user: String,
    open: OpenChannels,
    id: ChannelId,
}

impl ChannelCtx {
    pub(crate) fn new(dev: Device, user: String, open: OpenChannels, id: ChannelId) -> Self {
        Self {
            dev,
            user,
            open,
            id,
        }
    }
}

impl Drop for ChannelCtx {
    fn drop(&mut self) {
        self.open.remove(self.id, &self.dev);
    }
}

/// The channels open on one connection. A channel stops counting against the
/// per-connection limit when the client's close arrives (as OpenSSH and Junos do) or when
/// its task ends, whichever comes first.
#[derive(Clone, Default)]
pub(crate) struct OpenChannels(Arc<std::sync::Mutex<std::collections::HashSet<ChannelId>>>);

impl OpenChannels {
    pub(crate) fn len(&self) -> usize {
        lock(&self.0).len()
    }

    pub(crate) fn insert(&self, id: ChannelId, dev: &Device) {
        if lock(&self.0).insert(id) {
            dev.inner.counters.channels_open.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn remove(&self, id: ChannelId, dev: &Device) {
        if lock(&self.0).remove(&id) {
            dev.inner.counters.channels_open.fetch_sub(1, Relaxed);
        }
    }
}

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
