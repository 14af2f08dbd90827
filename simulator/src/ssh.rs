//! The SSH server of a simulated device: the shared core ([`crate::sshd`]) with Junos's
//! connection and rate limits, the device's users, and `channel::run` for each channel.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use russh::server::Msg;
use russh::Channel;
use tokio::net::{TcpListener, TcpStream};

use crate::ctx::ChannelCtx;
use crate::faults::FaultyStream;
use crate::router::Router;
use crate::sshd::{self, Credential, Event, HeldChannel, Refusal};
use crate::sync::lock;

/// A device as the SSH core's service (crate-private: its stream type is).
pub(crate) struct SshService(pub(crate) Router);

impl std::ops::Deref for SshService {
    type Target = Router;
    fn deref(&self) -> &Router {
        &self.0
    }
}

impl sshd::Service for SshService {
    type Stream = FaultyStream;

    fn wrap(&self, sock: TcpStream) -> FaultyStream {
        let killed = lock(&self.inner.kill).clone();
        FaultyStream::new(sock, killed, self.inner.control.clone())
    }

    fn limits(&self) -> &sshd::Limits {
        &self.inner.limits
    }

    fn gate(&self) -> &sshd::Gate {
        &self.inner.gate
    }

    fn allows(&self, user: &str, cred: Credential<'_>) -> bool {
        !self.inner.control.refuse_auth.load(Relaxed)
            && self.inner.config.users.iter().any(|u| {
                u.name == user
                    && match cred {
                        Credential::Password(p) => u
                            .password
                            .as_deref()
                            .is_some_and(|ours| sshd::password_matches(ours, p)),
                        Credential::Key(k) => u.keys.iter().any(|m| m.key_data() == k.key_data()),
                    }
            })
    }

    async fn logged_in(&self, _user: &str) {
        let delay = self.inner.config.timing.auth_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    fn allows_exec(&self) -> bool {
        !self.inner.control.refuse_exec.load(Relaxed)
    }

    fn channel(&self, user: &str, channel: Channel<Msg>, held: HeldChannel) {
        let ctx = ChannelCtx::new(self.0.clone(), user.to_string(), held);
        tokio::spawn(crate::channel::run(channel, ctx));
    }

    fn event(&self, event: Event, peer: SocketAddr) {
        let c = &self.inner.counters;
        let n = match event {
            Event::Accepted => &c.tcp_accepts,
            Event::Refused(why) => {
                if why != Refusal::Connections {
                    tracing::debug!(device = %self.hostname(), %peer, "connection refused: {why:?}");
                }
                &c.refused_by_limit
            }
            Event::Opened => &c.sessions_open,
            Event::Closed => {
                c.sessions_open.fetch_sub(1, Relaxed);
                return;
            }
            Event::LoginOk => &c.auth_ok,
            Event::LoginFailed => &c.auth_failed,
            Event::ChannelOpened => {
                c.channels_open.fetch_add(1, Relaxed);
                &c.channels
            }
            Event::ChannelRefused => &c.channels_rejected,
            Event::HandshakeTimeout | Event::LoginGraceExpired => {
                tracing::debug!(device = %self.hostname(), %peer, "cut: {event:?}");
                &c.cut_pre_auth
            }
        };
        n.fetch_add(1, Relaxed);
    }
}

/// Starting a device: binding its listeners (here, beside the accept loop they feed, so
/// that the device itself knows nothing of SSH).
impl Router {
    /// Bind the device's listeners and start serving.
    pub async fn start(
        spec: crate::spec::DeviceSpec,
        config: crate::router::DeviceConfig,
        addrs: &[SocketAddr],
    ) -> std::io::Result<Router> {
        let dev = Router::new(spec, config, addrs);
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
        let halt = lock(&self.inner.halt).clone();
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
            let stop = sshd::Stop {
                kill: token.clone(),
                halt: halt.clone(),
                goodbye: "router shutting down",
                linger: Duration::from_secs(1),
            };
            tokio::spawn(sshd::serve(
                Arc::new(SshService(self.clone())),
                l,
                self.inner.ssh_config.clone(),
                stop,
            ));
        }
        *lock(&self.inner.addrs) = bound;
        Ok(())
    }
}
