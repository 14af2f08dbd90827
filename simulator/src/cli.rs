//! Junos operational CLI commands, run once (exec channel) or from the shell.

use std::sync::atomic::Ordering::Relaxed;

use russh::server::Msg;
use russh::Channel;

use crate::commands::{
    configuration_text, display_xml, render_text, render_xml, CommandLine, Pieces, Show,
};
use crate::ctx::ChannelCtx;
use crate::router::Router;

/// An exec channel: run one command, send its output and exit status, close.
pub(crate) async fn exec(channel: Channel<Msg>, ctx: &ChannelCtx, command: &str) {
    let dev = &ctx.dev;
    let spawn = dev.inner.config.timing.exec_spawn;
    if !spawn.is_zero() {
        tokio::time::sleep(spawn).await;
    }
    dev.inner.counters.cli_commands.fetch_add(1, Relaxed);
    let (status, stdout, stderr) = run_cli_command(dev, command).await;
    let w = channel.make_writer();
    let mut w = w;
    use tokio::io::AsyncWriteExt as _;
    let mut ok = true;
    for piece in stdout {
        if w.write_all(piece.as_bytes()).await.is_err() {
            ok = false;
            break;
        }
    }
    let _ = w.flush().await;
    if ok && !stderr.is_empty() {
        let _ = channel.extended_data_bytes(1, stderr.into_bytes()).await;
    }
    let _ = channel.exit_status(status).await;
    let _ = channel.eof().await;
    let _ = channel.close().await;
}

/// Run one CLI line: (exit status, stdout pieces, stderr).
pub(crate) async fn run_cli_command(dev: &Router, line: &str) -> (u32, Pieces, String) {
    match CommandLine::parse(line) {
        Err(e) => (1, Box::new(std::iter::empty()), e.message),
        Ok(cmd) => {
            crate::engine::engine_time(dev, dev.inner.config.timing.service_time(Some(&cmd.show)))
                .await;
            let state = dev.state();
            let spec = &dev.inner.spec;
            let pieces = match &cmd.show {
                Show::Configuration(path) if !cmd.wants_xml() => {
                    let text = configuration_text(&state, path, &cmd.pipes);
                    Box::new(std::iter::once(cmd.filter_text(text))) as Pieces
                }
                _ if cmd.wants_xml() => display_xml(render_xml(&cmd.show, spec, &state)),
                _ => {
                    let text: String = render_text(&cmd.show, spec, &state).collect();
                    Box::new(std::iter::once(cmd.filter_text(text))) as Pieces
                }
            };
            (0, pieces, String::new())
        }
    }
}
