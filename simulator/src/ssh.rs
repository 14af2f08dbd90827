//! The SSH server of a simulated device: accept (with Junos's connection and rate limits),
//! authenticate, and hand each accepted channel to `channel::run`.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::server::{Auth, ChannelOpenHandle, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet, SshId};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::counters::GaugeGuard;
use crate::ctx::{ChannelCtx, OpenChannels};
use crate::device::Device;
use crate::faults::FaultyStream;
use crate::sync::lock;

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
            let authenticated = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let conn = Connection::new(dev.clone(), peer, authenticated.clone());
            match tokio::time::timeout(
                HANDSHAKE_TIMEOUT,
                russh::server::run_stream(config, stream, conn),
            )
            .await
            {
                Ok(Ok(running)) => {
                    let handle = running.handle();
                    let grace = dev.inner.config.login_grace;
                    tokio::spawn(async move {
                        tokio::time::sleep(grace).await;
                        if !authenticated.load(Relaxed) {
                            let _ = handle
                                .disconnect(
                                    russh::Disconnect::ByApplication,
                                    "login grace time exceeded".into(),
                                    String::new(),
                                )
                                .await;
                        }
                    });
                    let id = dev.inner.next_connection.fetch_add(1, Relaxed);
                    lock(&dev.inner.connections).insert(id, running.handle());
                    let ended = running.await;
                    lock(&dev.inner.connections).remove(&id);
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
        let mut recent = lock(&dev.inner.recent_accepts);
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
    /// Set once a user authenticated: a connection that never does is closed after
    /// [`LOGIN_GRACE`], so idle unauthenticated clients cannot fill `connection-limit`.
    authenticated: Arc<std::sync::atomic::AtomicBool>,
}

impl Connection {
    fn new(
        dev: Device,
        peer: SocketAddr,
        authenticated: Arc<std::sync::atomic::AtomicBool>,
    ) -> Self {
        Self {
            dev,
            peer,
            user: None,
            open: OpenChannels::default(),
            authenticated,
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
        self.authenticated.store(true, Relaxed);
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
        let ctx = ChannelCtx::new(
            self.dev.clone(),
            self.user.clone().unwrap_or_default(),
            self.open.clone(),
            id,
        );
        tokio::spawn(crate::channel::run(channel, ctx));
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
        if self.dev.inner.control.refuse_exec.load(Relaxed) {
            return session.channel_failure(channel);
        }
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

/// Starting a device: binding its listeners (here, beside the accept loop they feed, so
/// that the device itself knows nothing of SSH).
impl Device {
    /// Bind the device's listeners and start serving.
    pub async fn start(
        spec: crate::spec::DeviceSpec,
        config: crate::device::DeviceConfig,
        addrs: &[SocketAddr],
    ) -> std::io::Result<Device> {
        let dev = Device::new(spec, config, addrs);
        dev.bind().await?;
        Ok(dev)
    }

    pub(crate) async fn bind(&self) -> std::io::Result<()> {
        self.bind_within(Duration::ZERO).await
    }

    /// Bind, waiting up to `patience` for an address still held by the listener of a
    /// killed instance (its task drops it when next scheduled: a restart right after a
    /// kill must not fail with "address in use").
    pub(crate) async fn bind_within(&self, patience: Duration) -> std::io::Result<()> {
        let wanted = self.addrs();
        let token = lock(&self.inner.kill).clone();
        let mut bound = Vec::new();
        let started = tokio::time::Instant::now();
        for a in &wanted {
            let l = loop {
                match TcpListener::bind(a).await {
                    Err(e)
                        if e.kind() == std::io::ErrorKind::AddrInUse
                            && started.elapsed() < patience =>
                    {
                        tokio::time::sleep(Duration::from_millis(5)).await
                    }
                    r => break r?,
                }
            };
            bound.push(l.local_addr()?);
            let dev = self.clone();
            let token = token.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = token.cancelled() => {}
                    _ = accept_loop(dev, l, token.clone()) => {}
                }
            });
        }
        *lock(&self.inner.addrs) = bound;
        Ok(())
    }
}
