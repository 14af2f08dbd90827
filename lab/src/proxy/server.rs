//! The proxy's SSH server: accept, authenticate clients with the proxy's own
//! credentials, and give each channel to the NETCONF relay, the exec runner or the shell.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use russh::server::{Auth, ChannelOpenHandle, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, ChannelMsg, MethodKind, MethodSet, SshId};
use tokio::net::TcpListener;

use super::Shared;

/// Time a client has to finish key exchange.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Channels one client connection may hold open (OpenSSH's MaxSessions).
const CHANNELS_PER_CLIENT: usize = 10;

pub(super) fn config(host_key: russh::keys::PrivateKey) -> russh::server::Config {
    russh::server::Config {
        server_id: SshId::Standard(Cow::Borrowed("SSH-2.0-netlab_proxy")),
        methods: MethodSet::from(&[MethodKind::Password, MethodKind::PublicKey][..]),
        auth_rejection_time: Duration::from_millis(200),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![host_key],
        // A client that vanishes without a FIN (cable pulled, VM paused) is found by the
        // keepalives, and its leases go back to the pool.
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 3,
        inactivity_timeout: None,
        nodelay: true,
        max_auth_attempts: 6,
        ..Default::default()
    }
}

pub(super) async fn accept_loop(
    shared: Arc<Shared>,
    endpoint: usize,
    listener: TcpListener,
    config: Arc<russh::server::Config>,
) {
    loop {
        let (sock, peer) = tokio::select! {
            _ = shared.token.cancelled() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(endpoint = %shared.endpoints[endpoint].name, "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let _ = sock.set_nodelay(true);
        let shared = shared.clone();
        let config = config.clone();
        tokio::spawn(async move {
            let counters = &shared.endpoints[endpoint].counters;
            counters.client_connections.fetch_add(1, Relaxed);
            counters.clients.fetch_add(1, Relaxed);
            let conn = ClientConn {
                shared: shared.clone(),
                endpoint,
                peer,
                authed: false,
                open: OpenChannels::default(),
            };
            let token = shared.token.clone();
            match tokio::time::timeout(
                HANDSHAKE_TIMEOUT,
                russh::server::run_stream(config, sock, conn),
            )
            .await
            {
                Ok(Ok(running)) => {
                    let handle = running.handle();
                    tokio::select! {
                        r = running => if let Err(e) = r {
                            tracing::debug!(%peer, "client session ended: {e:?}");
                        },
                        _ = token.cancelled() => {
                            let _ = handle
                                .disconnect(
                                    russh::Disconnect::ByApplication,
                                    "netlab proxy shutting down".into(),
                                    String::new(),
                                )
                                .await;
                        }
                    }
                }
                Ok(Err(e)) => tracing::debug!(%peer, "client handshake failed: {e:?}"),
                Err(_) => tracing::debug!(%peer, "client handshake timed out"),
            }
            counters.clients.fetch_sub(1, Relaxed);
        });
    }
}

struct ClientConn {
    shared: Arc<Shared>,
    endpoint: usize,
    peer: SocketAddr,
    authed: bool,
    open: OpenChannels,
}

/// The channels open on one client connection. A channel stops counting when the
/// client's close arrives or when its task ends, whichever comes first (a channel the
/// proxy closes first gets no close callback).
#[derive(Clone, Default)]
struct OpenChannels(Arc<std::sync::Mutex<std::collections::HashSet<ChannelId>>>);

impl OpenChannels {
    fn set(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<ChannelId>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Removes its channel from the open set when the channel's task ends.
struct Counted(OpenChannels, ChannelId);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set().remove(&self.1);
    }
}

impl ClientConn {
    fn user_ok(&self, user: &str) -> bool {
        user == self.shared.endpoints[self.endpoint].device.user()
    }

    fn verdict(&mut self, ok: bool, user: &str, method: &str) -> Auth {
        if ok {
            self.authed = true;
            Auth::Accept
        } else {
            self.shared.endpoints[self.endpoint]
                .counters
                .auth_failures
                .fetch_add(1, Relaxed);
            tracing::info!(peer = %self.peer, user, method, "client login refused");
            Auth::reject()
        }
    }
}

/// Constant-time comparison, so the password cannot be guessed byte by byte from timing.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl russh::server::Handler for ClientConn {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let ok = self.user_ok(user)
            && self
                .shared
                .client_password
                .as_deref()
                .is_some_and(|p| same(p.as_bytes(), password.as_bytes()));
        Ok(self.verdict(ok, user, "password"))
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        let known = self.user_ok(user)
            && self
                .shared
                .authorized_keys
                .iter()
                .any(|k| k.key_data() == offer.public_key.key_data());
        Ok(if known { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let ok = self.user_ok(user)
            && self
                .shared
                .authorized_keys
                .iter()
                .any(|k| k.key_data() == key.public_key.key_data());
        Ok(self.verdict(ok, user, "publickey"))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if !self.authed || self.open.set().len() >= CHANNELS_PER_CLIENT {
            drop(reply); // rejects the open
            return Ok(());
        }
        reply.accept().await;
        let id = channel.id();
        self.open.set().insert(id);
        let counted = Counted(self.open.clone(), id);
        let shared = self.shared.clone();
        let endpoint = self.endpoint;
        tokio::spawn(async move {
            serve_channel(shared, endpoint, channel).await;
            drop(counted);
        });
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.open.set().remove(&channel);
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

/// One client channel: its first request decides what it carries, as on Junos.
async fn serve_channel(shared: Arc<Shared>, endpoint: usize, mut channel: Channel<Msg>) {
    let mut pty = false;
    loop {
        let msg = tokio::select! {
            m = channel.wait() => m,
            _ = shared.token.cancelled() => return,
        };
        match msg {
            Some(ChannelMsg::Exec { command, .. }) => {
                let command = String::from_utf8_lossy(&command).trim().to_string();
                if super::shell::is_xml_mode(&command) {
                    super::netconf::serve(&shared, endpoint, channel).await;
                } else {
                    super::shell::exec(&shared, endpoint, channel, &command).await;
                }
                return;
            }
            Some(ChannelMsg::RequestSubsystem { name, .. }) => {
                if name == "netconf" {
                    super::netconf::serve(&shared, endpoint, channel).await;
                }
                return;
            }
            Some(ChannelMsg::RequestPty { .. }) => pty = true,
            Some(ChannelMsg::RequestShell { .. }) => {
                super::shell::serve(&shared, endpoint, channel, pty).await;
                return;
            }
            Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => return,
            Some(_) => {}
        }
    }
}
