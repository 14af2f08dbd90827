//! One SSH server core, used by the simulated routers and by `netlab proxy`: the accept
//! loop, the limits a server facing clients it does not control needs, and the russh
//! handler. What differs between the two (who may log in, what a channel carries, which
//! counters move) is a [`Service`].
//!
//! Every limit is enforced by the core, not asked of the client:
//!
//! | limit | default | as in |
//! |---|---|---|
//! | [`Limits::handshake_timeout`]: version line and key exchange done | 30 s | OpenSSH's LoginGraceTime covers it too |
//! | [`Limits::login_grace`]: from accept to a successful login | 120 s | OpenSSH `LoginGraceTime` |
//! | [`Limits::max_startups`]: connections not yet logged in, at once | 100 | OpenSSH `MaxStartups` (its hard limit) |
//! | [`Limits::max_connections`]: connections at once | 75 | Junos `connection-limit` |
//! | [`Limits::rate_per_minute`]: new connections per minute | none | Junos `rate-limit` |
//! | [`Limits::max_channels`]: channels per connection | 10 | OpenSSH `MaxSessions` |
//!
//! A connection past a deadline is cut: its socket is closed under the SSH session, which
//! does not depend on the client reading a disconnect message (a client that only sent its
//! version line never would). A connection over a cap is closed at accept, before a byte is
//! written. When `accept` fails (descriptors exhausted), the loop backs off from 5 ms
//! doubling up to 1 s, rather than spin.

use std::borrow::Cow;
use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::keys::PublicKey;
use russh::server::{Auth, ChannelOpenHandle, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet, SshId};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::sync::lock;

mod cut;
mod limits;
mod request;

use cut::Cut;
pub use limits::{Gate, Limits, Refusal};
pub use request::{first_request, is_xml_mode, password_matches, Request};

/// What the core tells its service, for the service's counters and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A TCP connection came in (before the caps are checked).
    Accepted,
    /// It was closed at once, over a cap.
    Refused(Refusal),
    /// A connection is served now (counted until [`Event::Closed`]).
    Opened,
    /// No version line or key exchange within [`Limits::handshake_timeout`]: cut.
    HandshakeTimeout,
    /// No login within [`Limits::login_grace`]: cut.
    LoginGraceExpired,
    /// A login succeeded.
    LoginOk,
    /// A login attempt failed.
    LoginFailed,
    /// A channel was opened.
    ChannelOpened,
    /// A channel open was refused ([`Limits::max_channels`] open).
    ChannelRefused,
    /// A served connection ended.
    Closed,
}

/// What a client offers to log in with.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// A password.
    Password(&'a str),
    /// A public key: only offered (no signature checked yet) or verified.
    Key(&'a PublicKey),
}

/// What differs between the servers built on this core.
pub trait Service: Send + Sync + 'static {
    /// The stream a connection runs on (the TCP stream, or one with faults built in).
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Wrap an accepted socket.
    fn wrap(&self, sock: TcpStream) -> Self::Stream;

    /// The limits: read once per connection.
    fn limits(&self) -> &Limits;

    /// The state the caps count in (one per service: shared by all its listeners).
    fn gate(&self) -> &Gate;

    /// Whether `user` may log in with `cred`. Called for an offered key too (a key that
    /// the client has not proven it holds yet): say whether it would be accepted.
    fn allows(&self, user: &str, cred: Credential<'_>) -> bool;

    /// A login succeeded: what to do before it is answered (a simulated delay).
    fn logged_in(&self, _user: &str) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// Whether exec requests are served.
    fn allows_exec(&self) -> bool {
        true
    }

    /// Serve an accepted channel (spawn a task). `held` counts the channel against
    /// [`Limits::max_channels`] until the task drops it (or the client closes it).
    fn channel(&self, user: &str, channel: Channel<Msg>, held: HeldChannel);

    /// Count or log an event.
    fn event(&self, _event: Event, _peer: SocketAddr) {}
}

/// The russh settings both servers share; `id` is the version string's software part.
pub fn russh_config(id: &'static str, host_key: russh::keys::PrivateKey) -> russh::server::Config {
    russh::server::Config {
        server_id: SshId::Standard(Cow::Owned(format!("SSH-2.0-{id}"))),
        methods: MethodSet::from(&[MethodKind::Password, MethodKind::PublicKey][..]),
        auth_rejection_time: Duration::from_millis(50),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![host_key],
        inactivity_timeout: None,
        nodelay: true,
        max_auth_attempts: 6,
        ..Default::default()
    }
}

/// How a server stops. Either token stops the accept loop.
#[derive(Clone)]
pub struct Stop {
    /// Cancelled: every connection is cut at once (a killed server).
    pub kill: CancellationToken,
    /// Cancelled: every connection is sent an SSH disconnect with `goodbye`, and cut
    /// [`Stop::linger`] later if the client has not gone by then (a polite halt).
    pub halt: CancellationToken,
    /// The disconnect message of a halt.
    pub goodbye: &'static str,
    /// How long a halted connection may stay.
    pub linger: Duration,
}

/// Accept and serve connections on `listener` until `stop`.
pub async fn serve<S: Service>(
    service: Arc<S>,
    listener: TcpListener,
    config: Arc<russh::server::Config>,
    stop: Stop,
) {
    const FIRST_BACKOFF: Duration = Duration::from_millis(5);
    let mut backoff = FIRST_BACKOFF;
    loop {
        let accepted = tokio::select! {
            _ = stop.kill.cancelled() => return,
            _ = stop.halt.cancelled() => return,
            r = listener.accept() => r,
        };
        let (sock, peer) = match accepted {
            Ok(x) => {
                backoff = FIRST_BACKOFF;
                x
            }
            Err(e) => {
                // EMFILE and the like: wait for descriptors to come back, more each time.
                tracing::warn!("accept failed (retrying in {backoff:?}): {e}");
                tokio::select! {
                    _ = stop.kill.cancelled() => return,
                    _ = stop.halt.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        service.event(Event::Accepted, peer);
        tokio::spawn(connection(
            service.clone(),
            sock,
            peer,
            config.clone(),
            stop.clone(),
        ));
    }
}

/// One connection, from accept to close.
async fn connection<S: Service>(
    service: Arc<S>,
    sock: TcpStream,
    peer: SocketAddr,
    config: Arc<russh::server::Config>,
    stop: Stop,
) {
    use tokio::time::{sleep_until, timeout_at, Instant};
    let accepted = Instant::now();
    let limits = service.limits().clone();
    let admitted = match service.gate().admit(&limits) {
        Ok(a) => a,
        Err(why) => {
            service.event(Event::Refused(why), peer);
            drop(sock);
            return;
        }
    };
    service.event(Event::Opened, peer);
    let _ = sock.set_nodelay(true);
    let cut = CancellationToken::new();
    let progress = Progress::default();
    let handler = Conn {
        service: service.clone(),
        peer,
        user: None,
        channels: Channels::default(),
        progress: progress.clone(),
    };
    let stream = Cut::new(service.wrap(sock), cut.clone());
    // The login grace covers the whole way to a login, handshake included (OpenSSH's
    // LoginGraceTime): the handshake deadline is never later than it.
    let login_by = accepted + limits.login_grace;
    let handshake_by = (accepted + limits.handshake_timeout).min(login_by);
    // The version line: the future owns the socket until it is in, and dropping it closes.
    let started = tokio::select! {
        r = timeout_at(handshake_by, russh::server::run_stream(config, stream, handler)) => r,
        _ = stop.kill.cancelled() => return closed(&service, peer),
        _ = stop.halt.cancelled() => return closed(&service, peer),
    };
    let mut running = match started {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::debug!(%peer, "SSH handshake failed: {e:?}");
            return closed(&service, peer);
        }
        Err(_) => {
            service.event(Event::HandshakeTimeout, peer);
            return closed(&service, peer);
        }
    };
    let handle = running.handle();
    // Key exchange, then login, each by its deadline.
    let pre_auth = async {
        tokio::select! {
            _ = progress.kex_done.cancelled() => {}
            _ = sleep_until(handshake_by) => {
                return Err(if handshake_by < accepted + limits.handshake_timeout {
                    Event::LoginGraceExpired
                } else {
                    Event::HandshakeTimeout
                })
            }
        }
        tokio::select! {
            _ = progress.logged_in.cancelled() => Ok(()),
            _ = sleep_until(login_by) => Err(Event::LoginGraceExpired),
        }
    };
    tokio::pin!(pre_auth);
    let mut pending_login = true;
    let mut cut_at: Option<Instant> = None;
    let mut halted = false;
    let ended = loop {
        tokio::select! {
            r = &mut running => break r,
            r = &mut pre_auth, if pending_login => {
                pending_login = false;
                match r {
                    Ok(()) => admitted.logged_in(),
                    Err(why) => {
                        service.event(why, peer);
                        cut.cancel();
                    }
                }
            }
            _ = stop.kill.cancelled(), if !cut.is_cancelled() => cut.cancel(),
            _ = stop.halt.cancelled(), if !halted => {
                halted = true;
                let bye = handle.disconnect(
                    russh::Disconnect::ByApplication,
                    stop.goodbye.into(),
                    String::new(),
                );
                let _ = tokio::time::timeout(stop.linger, bye).await;
                cut_at = Some(Instant::now() + stop.linger);
            }
            _ = sleep_until(cut_at.unwrap_or(accepted)), if cut_at.is_some() && !cut.is_cancelled() => {
                cut.cancel();
            }
        }
    };
    if let Err(e) = ended {
        tracing::debug!(%peer, "SSH session ended: {e:?}");
    }
    drop(admitted);
    closed(&service, peer)
}

fn closed<S: Service>(service: &Arc<S>, peer: SocketAddr) {
    service.event(Event::Closed, peer);
}

/// How far a connection got: each a latch, cancelled once when reached.
#[derive(Clone, Default)]
struct Progress {
    kex_done: CancellationToken,
    logged_in: CancellationToken,
}

/// The channels open on one connection. A channel stops counting when the client's close
/// arrives or when its task ends, whichever comes first (a channel the server closes first
/// gets no close callback).
#[derive(Clone, Default)]
struct Channels(Arc<Mutex<HashSet<ChannelId>>>);

/// A channel counted against its connection's [`Limits::max_channels`] while held.
pub struct HeldChannel {
    channels: Channels,
    id: ChannelId,
}

impl Drop for HeldChannel {
    fn drop(&mut self) {
        lock(&self.channels.0).remove(&self.id);
    }
}

/// The russh handler of one connection.
struct Conn<S: Service> {
    service: Arc<S>,
    peer: SocketAddr,
    user: Option<String>,
    channels: Channels,
    progress: Progress,
}

impl<S: Service> Conn<S> {
    /// Any authentication request means key exchange is done.
    fn kex_done(&self) {
        self.progress.kex_done.cancel();
    }

    async fn verdict(&mut self, user: &str, cred: Credential<'_>) -> Auth {
        self.kex_done();
        if self.service.allows(user, cred) {
            self.service.logged_in(user).await;
            self.user = Some(user.to_string());
            self.progress.logged_in.cancel();
            self.service.event(Event::LoginOk, self.peer);
            Auth::Accept
        } else {
            tracing::debug!(peer = %self.peer, user, "login refused");
            self.service.event(Event::LoginFailed, self.peer);
            Auth::reject()
        }
    }
}

impl<S: Service> russh::server::Handler for Conn<S> {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        self.kex_done();
        Ok(Auth::reject())
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(self.verdict(user, Credential::Password(password)).await)
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        self.kex_done();
        Ok(
            if self.service.allows(user, Credential::Key(offer.public_key)) {
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
        Ok(self.verdict(user, Credential::Key(key.public_key)).await)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(user) = self.user.clone() else {
            drop(reply); // not logged in: refused
            return Ok(());
        };
        let id = channel.id();
        let admitted = {
            let mut open = lock(&self.channels.0);
            open.len() < self.service.limits().max_channels && open.insert(id)
        };
        if !admitted {
            self.service.event(Event::ChannelRefused, self.peer);
            drop(reply); // refuses the open
            return Ok(());
        }
        reply.accept().await;
        self.service.event(Event::ChannelOpened, self.peer);
        let held = HeldChannel {
            channels: self.channels.clone(),
            id,
        };
        self.service.channel(&user, channel, held);
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        lock(&self.channels.0).remove(&channel);
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.service.allows_exec() {
            session.channel_success(channel)
        } else {
            session.channel_failure(channel)
        }
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
