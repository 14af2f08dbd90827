//! One SSH channel: what it carries is decided by its first request
//! ([`crate::sshd::first_request`]): exec runs one CLI command (or NETCONF for
//! `xml-mode netconf`), the `netconf` subsystem speaks NETCONF, and a shell (with or
//! without a PTY) is the interactive CLI.

use std::sync::atomic::Ordering::Relaxed;

use russh::server::Msg;
use russh::Channel;

use crate::ctx::ChannelCtx;
use crate::sshd::{first_request, Request};

/// Serve one channel: the first request decides what it is.
pub(crate) async fn run(mut channel: Channel<Msg>, ctx: ChannelCtx) {
    let Some(request) = first_request(&mut channel).await else {
        return;
    };
    if request.is_exec() && ctx.dev.inner.control.refuse_exec.load(Relaxed) {
        // Refused in the request's reply: nothing runs; the client closes.
        return;
    }
    match request {
        Request::Command(command) => crate::cli::exec(channel, &ctx, &command).await,
        Request::Netconf { .. } => crate::netconf::serve(channel, &ctx).await,
        Request::Shell { pty } => crate::shell::serve(channel, &ctx, pty).await,
    }
}
