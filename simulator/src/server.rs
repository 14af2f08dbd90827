//! The SSH server of a simulated device: accept, authenticate, and route each channel to
//! the CLI (exec), the interactive shell (pty + shell) or NETCONF (subsystem or xml-mode).

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::server::{Auth, ChannelOpenHandle, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, ChannelMsg, MethodKind, MethodSet, SshId};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::commands::{display_xml, render_text, render_xml, CommandLine};
use crate::counters::GaugeGuard;
use crate::fleet::Device;
use crate::stream::FaultyStream;

/// Time allowed for a client to finish key exchange start (SSH id line).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

fn server_config(dev: &Device) -> russh::server::Config {
    russh::server::Config {
        server_id: SshId::Standard(Cow::Borrowed("SSH-2.0-OpenSSH_junos_sim")),
        methods: MethodSet::from(&[MethodKind::Password, MethodKind::PublicKey][..]),
        auth_rejection_time: Duration::from_millis(50),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![dev.inner.host_key.clone()],
        inactivity_timeout: None,
        nodelay: true,
        max_auth_attempts: 6,
        ..Default::default()
    }
}

pub(crate) async fn accept_loop(dev: Device, listener: TcpListener, token: CancellationToken) {
    let config = Arc::new(server_config(&dev));
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(device = %dev.hostname(), "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let c = &dev.inner.counters;
        c.tcp_accepts.fetch_add(1, Relaxed);
        if over_limits(&dev) {
            c.refused_by_limit.fetch_add(1, Relaxed);
            drop(sock);
            continue;
        }
        let _ = sock.set_nodelay(true);
        let stream = FaultyStream::new(sock, token.clone(), dev.inner.control.clone());
        let dev = dev.clone();
        let config = config.clone();
        tokio::spawn(async move {
            let _open = GaugeGuard::new(&dev.inner.counters.sessions_open);
            let conn = Connection::new(dev.clone(), peer);
            match tokio::time::timeout(
                HANDSHAKE_TIMEOUT,
                russh::server::run_stream(config, stream, conn),
            )
            .await
            {
                Ok(Ok(running)) => {
                    let id = dev.inner.next_connection.fetch_add(1, Relaxed);
                    dev.inner
                        .connections
                        .lock()
                        .expect("connections lock")
                        .insert(id, running.handle());
                    let ended = running.await;
                    dev.inner
                        .connections
                        .lock()
                        .expect("connections lock")
                        .remove(&id);
                    if let Err(e) = ended {
                        tracing::debug!(device = %dev.hostname(), %peer, "session ended: {e:?}");
                    }
                }
                Ok(Err(e)) => {
                    tracing::debug!(device = %dev.hostname(), %peer, "handshake failed: {e:?}")
                }
                Err(_) => tracing::debug!(device = %dev.hostname(), %peer, "handshake timed out"),
            }
        });
    }
}

/// Junos `connection-limit` and `rate-limit` checks for a new connection.
fn over_limits(dev: &Device) -> bool {
    let cfg = &dev.inner.config;
    if dev.inner.counters.sessions_open.load(Relaxed) as usize >= cfg.connection_limit {
        return true;
    }
    if let Some(per_min) = cfg.rate_limit_per_minute {
        let mut recent = dev.inner.recent_accepts.lock().expect("accepts lock");
        let now = Instant::now();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
        {
            recent.pop_front();
        }
        if recent.len() as u32 >= per_min {
            return true;
        }
        recent.push_back(now);
    }
    false
}

/// One SSH connection's server-side state.
pub(crate) struct Connection {
    dev: Device,
    peer: SocketAddr,
    user: Option<String>,
    open: OpenChannels,
}

impl Connection {
    fn new(dev: Device, peer: SocketAddr) -> Self {
        Self {
            dev,
            peer,
            user: None,
            open: OpenChannels::default(),
        }
    }

    fn reject(&self) -> Auth {
        self.dev.inner.counters.auth_failed.fetch_add(1, Relaxed);
        Auth::reject()
    }

    async fn accept(&mut self, user: &str) -> Auth {
        let delay = self.dev.inner.config.timing.auth_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.dev.inner.counters.auth_ok.fetch_add(1, Relaxed);
        self.user = Some(user.to_string());
        Auth::Accept
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let ok = !self.dev.inner.control.refuse_auth.load(Relaxed)
            && self
                .dev
                .inner
                .config
                .users
                .iter()
                .any(|u| u.name == user && u.password.as_deref() == Some(password));
        if ok {
            Ok(self.accept(user).await)
        } else {
            tracing::debug!(device = %self.dev.hostname(), peer = %self.peer, user, "password rejected");
            Ok(self.reject())
        }
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        let known = self.dev.inner.config.users.iter().any(|u| {
            u.name == user
                && u.keys
                    .iter()
                    .any(|k| k.key_data() == offer.public_key.key_data())
        });
        Ok(
            if known && !self.dev.inner.control.refuse_auth.load(Relaxed) {
                Auth::Accept
            } else {
                Auth::reject()
            },
        )
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let ok = !self.dev.inner.control.refuse_auth.load(Relaxed)
            && self.dev.inner.config.users.iter().any(|u| {
                u.name == user
                    && u.keys
                        .iter()
                        .any(|k| k.key_data() == key.public_key.key_data())
            });
        if ok {
            Ok(self.accept(user).await)
        } else {
            Ok(self.reject())
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let c = &self.dev.inner.counters;
        if self.open.len() >= self.dev.inner.config.channels_per_connection {
            c.channels_rejected.fetch_add(1, Relaxed);
            drop(reply); // rejects the open
            return Ok(());
        }
        reply.accept().await;
        c.channels.fetch_add(1, Relaxed);
        let id = channel.id();
        self.open.insert(id, &self.dev);
        let ctx = ChannelCtx {
            dev: self.dev.clone(),
            user: self.user.clone().unwrap_or_default(),
            open: self.open.clone(),
            id,
        };
        tokio::spawn(run_channel(channel, ctx));
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.open.remove(channel, &self.dev);
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if name == "netconf" {
            session.channel_success(channel)
        } else {
            session.channel_failure(channel)
        }
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _c: u32,
        _r: u32,
        _pw: u32,
        _ph: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        _value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }
}

/// What a channel task knows about its connection.
pub(crate) struct ChannelCtx {
    pub(crate) dev: Device,
    pub(crate) user: String,
    open: OpenChannels,
    id: ChannelId,
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
    fn len(&self) -> usize {
        self.0.lock().expect("channels lock").len()
    }

    fn insert(&self, id: ChannelId, dev: &Device) {
        if self.0.lock().expect("channels lock").insert(id) {
            dev.inner.counters.channels_open.fetch_add(1, Relaxed);
        }
    }

    fn remove(&self, id: ChannelId, dev: &Device) {
        if self.0.lock().expect("channels lock").remove(&id) {
            dev.inner.counters.channels_open.fetch_sub(1, Relaxed);
        }
    }
}

async fn run_channel(mut channel: Channel<Msg>, ctx: ChannelCtx) {
    let mut pty = false;
    loop {
        match channel.wait().await {
            Some(ChannelMsg::Exec { command, .. }) => {
                let command = String::from_utf8_lossy(&command).trim().to_string();
                if is_xml_mode(&command) {
                    crate::netconf_server::serve(channel, &ctx).await;
                } else {
                    exec(channel, &ctx, &command).await;
                }
                return;
            }
            Some(ChannelMsg::RequestSubsystem { name, .. }) => {
                if name == "netconf" {
                    crate::netconf_server::serve(channel, &ctx).await;
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

/// Wait for the routing engine to serve a command: queue on its concurrency, then the
/// profile's service time plus any injected delay.
pub(crate) async fn engine_time(dev: &Device, work: Duration) {
    let extra = Duration::from_millis(dev.inner.control.extra_delay_ms.load(Relaxed));
    let total = work + extra;
    if total.is_zero() {
        return;
    }
    let _permit = dev.inner.engine.acquire().await;
    tokio::time::sleep(total).await;
}

async fn exec(channel: Channel<Msg>, ctx: &ChannelCtx, command: &str) {
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
pub(crate) async fn run_cli_command(
    dev: &Device,
    line: &str,
) -> (u32, crate::commands::Pieces, String) {
    match CommandLine::parse(line) {
        Err(e) => (1, Box::new(std::iter::empty()), e.message),
        Ok(cmd) => {
            engine_time(dev, dev.inner.config.timing.service_time(Some(&cmd.show))).await;
            let state = dev.inner.state.lock().expect("state lock");
            let spec = &dev.inner.spec;
            let pieces = if cmd.wants_xml() {
                display_xml(render_xml(&cmd.show, spec, &state))
            } else if cmd.pipes.iter().any(|p| {
                matches!(
                    p,
                    crate::commands::Pipe::Match(_)
                        | crate::commands::Pipe::Except(_)
                        | crate::commands::Pipe::Count
                        | crate::commands::Pipe::Last(_)
                )
            }) {
                let text: String = render_text(&cmd.show, spec, &state).collect();
                Box::new(std::iter::once(cmd.filter_text(text))) as crate::commands::Pieces
            } else if let crate::commands::Show::Configuration(_) = cmd.show {
                if cmd.pipes.contains(&crate::commands::Pipe::DisplaySet) {
                    Box::new(std::iter::once(
                        state.running.to_set_lines().join("\n") + "\n",
                    )) as crate::commands::Pieces
                } else {
                    render_text(&cmd.show, spec, &state)
                }
            } else {
                render_text(&cmd.show, spec, &state)
            };
            (0, pieces, String::new())
        }
    }
}
