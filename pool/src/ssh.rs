//! SSH connections: connect with every stage bounded, verify the host key, authenticate,
//! and run exec channels.

use std::collections::HashMap;
use std::sync::atomic::{
    AtomicBool, AtomicU64, AtomicUsize,
    Ordering::{Relaxed, SeqCst},
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use russh::client::{Handle, Msg};
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{Channel, ChannelId, ChannelMsg};
use tokio::net::TcpStream;

use crate::config::{HostKeyPolicy, PoolConfig};
use crate::device::{Auth, Device};
use crate::due::{Due, DueOnDrop};
use crate::error::{Error, Result};
use crate::host_key::HostKeyCheck;

/// The result of one CLI command run over an exec channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CliOutput {
    /// Standard output.
    pub stdout: String,
    /// Standard error (Junos prints syntax errors here).
    pub stderr: String,
    /// Exit status, if the device sent one.
    pub exit_status: Option<u32>,
}

impl CliOutput {
    /// Exit status 0 (or none sent) and nothing on stderr.
    pub fn success(&self) -> bool {
        self.exit_status.unwrap_or(0) == 0 && self.stderr.trim().is_empty()
    }
}

/// russh client callbacks: host key verification by policy, and the channel meters.
pub(crate) struct ClientHandler {
    /// Marks the device due for maintenance when russh drops the handler (the
    /// connection's task ended).
    _due: DueOnDrop,
    host_key: HostKeyCheck,
    verdict: Arc<Mutex<Option<Error>>>,
    meters: Arc<ChannelMeters>,
    /// The device's counters (this connection's keepalive failure is counted there).
    device_meters: Arc<crate::meters::Meters>,
}

/// What the server has sent on one watched channel, counted by the connection's task
/// after russh has queued it for the channel: data bytes, plus one for each EOF or close.
///
/// A NETCONF session compares this with what it has read: equal means nothing arrived
/// while it sat idle, so checkout can skip polling the channel. A message queued but not
/// yet counted looks exactly like one that arrives just after checkout, which the RPC
/// path handles as a failure of that session.
#[derive(Default)]
pub(crate) struct ChannelMeter {
    pub(crate) delivered: AtomicU64,
}

/// The meters of one connection's watched channels (its NETCONF sessions).
#[derive(Default)]
pub(crate) struct ChannelMeters {
    by_channel: Mutex<HashMap<ChannelId, Arc<ChannelMeter>>>,
}

impl ChannelMeters {
    /// Start counting what arrives on `id` (before the server can send anything on it).
    pub(crate) fn watch(&self, id: ChannelId) -> Arc<ChannelMeter> {
        let m = Arc::new(ChannelMeter::default());
        self.lock().insert(id, m.clone());
        m
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ChannelId, Arc<ChannelMeter>>> {
        // A meter is a counter: a panic elsewhere cannot leave the map inconsistent.
        crate::sync::lock(&self.by_channel)
    }

    fn add(&self, id: ChannelId, n: u64) {
        if let Some(m) = self.lock().get(&id) {
            m.delivered.fetch_add(n, SeqCst);
        }
    }

    /// The server closed `id`: count the close (so the session sees something arrived)
    /// and stop watching.
    fn close(&self, id: ChannelId) {
        if let Some(m) = self.lock().remove(&id) {
            m.delivered.fetch_add(1, SeqCst);
        }
    }
}

impl russh::client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut russh::client::Session,
    ) -> Result<(), Self::Error> {
        self.meters.add(channel, data.len() as u64);
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut russh::client::Session,
    ) -> Result<(), Self::Error> {
        self.meters.add(channel, 1);
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut russh::client::Session,
    ) -> Result<(), Self::Error> {
        self.meters.close(channel);
        Ok(())
    }

    async fn disconnected(
        &mut self,
        reason: russh::client::DisconnectReason<Self::Error>,
    ) -> Result<(), Self::Error> {
        match reason {
            russh::client::DisconnectReason::ReceivedDisconnect(_) => Ok(()),
            russh::client::DisconnectReason::Error(e) => {
                if matches!(e, russh::Error::KeepaliveTimeout) {
                    self.device_meters.keepalive_failures.fetch_add(1, SeqCst);
                }
                Err(e)
            }
        }
    }

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let pk = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(c) => PublicKey::from(c.public_key().clone()),
        };
        match self.host_key.verify(&pk).await {
            Ok(()) => Ok(true),
            Err(e) => {
                *crate::sync::lock(&self.verdict) = Some(e);
                Ok(false)
            }
        }
    }
}

/// The algorithms netpool offers: russh's defaults, except that AES-GCM comes before
/// ChaCha20-Poly1305 where the CPU has AES and carry-less multiply instructions (both are
/// AEADs that OpenSSH and Junos offer; on such CPUs AES-GCM costs a fraction of the
/// cycles per byte, measured with `examples/rpc_profile` under callgrind).
fn preferred_algorithms() -> russh::Preferred {
    use russh::cipher;
    let mut p = russh::Preferred::default();
    if aes_in_hardware() {
        p.cipher = std::borrow::Cow::Borrowed(&[
            cipher::AES_256_GCM,
            cipher::AES_128_GCM,
            cipher::CHACHA20_POLY1305,
            cipher::AES_256_CTR,
            cipher::AES_192_CTR,
            cipher::AES_128_CTR,
        ]);
    }
    p
}

fn aes_in_hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("aes")
            && std::arch::is_aarch64_feature_detected!("pmull")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// One pooled SSH connection (the shared level: channels are multiplexed on it).
pub(crate) struct SshConn {
    pub(crate) id: u64,
    pub(crate) handle: Handle<ClientHandler>,
    pub(crate) created: Instant,
    /// Channels open on this connection now (in use or idle NETCONF sessions).
    pub(crate) channels: AtomicUsize,
    /// Milliseconds since `created` at last use.
    last_used_ms: AtomicU64,
    /// Set once any use of the connection failed at the transport level.
    pub(crate) broken: AtomicBool,
    /// What the server sent on each NETCONF session's channel.
    pub(crate) meters: Arc<ChannelMeters>,
    /// Its device's maintenance deadline.
    due: Arc<Due>,
}

impl SshConn {
    pub(crate) fn touch(&self) {
        self.touch_at(Instant::now());
    }

    pub(crate) fn touch_at(&self, now: Instant) {
        self.last_used_ms.store(
            now.saturating_duration_since(self.created).as_millis() as u64,
            Relaxed,
        );
    }

    pub(crate) fn idle_for(&self) -> Duration {
        self.created
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last_used_ms.load(Relaxed)))
    }

    /// A use of the connection failed at the transport level: maintenance will drop it.
    pub(crate) fn mark_broken(&self) {
        self.broken.store(true, Relaxed);
        self.due.now();
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.broken.load(Relaxed) || self.handle.is_closed()
    }

    /// Bounded liveness check: an SSH ping round trip, then the session state.
    pub(crate) async fn ping(&self, bound: Duration) -> bool {
        match tokio::time::timeout(bound, self.handle.send_ping()).await {
            Ok(Ok(())) => !self.handle.is_closed(),
            _ => false,
        }
    }

    /// Polite close: SSH disconnect.
    pub(crate) async fn disconnect(&self) {
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            self.handle
                .disconnect(russh::Disconnect::ByApplication, "netpool closing", ""),
        )
        .await;
    }
}

fn classify_io(device: &Device, e: &std::io::Error, stage: &'static str) -> Error {
    let device = device.label().to_string();
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => Error::ConnectRefused { device },
        _ => Error::Connect {
            device,
            detail: e.to_string(),
            stage,
        },
    }
}

/// Open, verify and authenticate one SSH connection. Every stage is bounded.
/// Open, verify and authenticate one SSH connection. `policy` is the pool's host key policy,
/// shared by every connection (a pinned list can be long: it is not copied per connection).
pub(crate) async fn connect(
    device: &Device,
    cfg: &PoolConfig,
    policy: Arc<HostKeyPolicy>,
    id: u64,
    due: &Arc<Due>,
    device_meters: &Arc<crate::meters::Meters>,
) -> Result<SshConn> {
    let label = device.label().to_string();
    let tcp = tokio::time::timeout(
        cfg.connect_timeout,
        TcpStream::connect((device.host(), device.port())),
    )
    .await
    .map_err(|_| Error::ConnectTimeout {
        device: label.clone(),
        after: cfg.connect_timeout,
        stage: "tcp",
    })?
    .map_err(|e| classify_io(device, &e, "tcp"))?;
    let _ = tcp.set_nodelay(true);
    if let Some(idle) = cfg.tcp_keepalive {
        let ka = socket2::TcpKeepalive::new().with_time(idle).with_interval(
            idle.min(Duration::from_secs(10))
                .max(Duration::from_secs(1)),
        );
        let _ = socket2::SockRef::from(&tcp).set_tcp_keepalive(&ka);
    }
    let mut preferred = preferred_algorithms();
    let host_key = HostKeyCheck::prepare(device, policy, &mut preferred).await?;
    let config = Arc::new(russh::client::Config {
        nodelay: true,
        keepalive_interval: cfg.keepalive_interval,
        keepalive_max: cfg.keepalive_count_max,
        inactivity_timeout: None,
        preferred,
        ..Default::default()
    });
    let verdict = Arc::new(Mutex::new(None));
    let meters = Arc::new(ChannelMeters::default());
    let handler = ClientHandler {
        _due: DueOnDrop(due.clone()),
        host_key,
        verdict: verdict.clone(),
        meters: meters.clone(),
        device_meters: device_meters.clone(),
    };
    let handshake = tokio::time::timeout(
        cfg.connect_timeout,
        russh::client::connect_stream(config, tcp, handler),
    )
    .await;
    let mut handle = match handshake {
        Err(_) => {
            return Err(Error::ConnectTimeout {
                device: label,
                after: cfg.connect_timeout,
                stage: "ssh-handshake",
            })
        }
        Ok(Err(e)) => {
            if let Some(v) = crate::sync::lock(&verdict).take() {
                return Err(v);
            }
            return Err(match e {
                russh::Error::IO(io) => classify_io(device, &io, "ssh-handshake"),
                other => Error::Connect {
                    device: label,
                    detail: format!("ssh handshake: {other}"),
                    stage: "ssh-handshake",
                },
            });
        }
        Ok(Ok(h)) => h,
    };
    tokio::time::timeout(cfg.auth_timeout, authenticate(&mut handle, device))
        .await
        .map_err(|_| Error::ConnectTimeout {
            device: device.label().to_string(),
            after: cfg.auth_timeout,
            stage: "auth",
        })??;
    let now = Instant::now();
    Ok(SshConn {
        id,
        handle,
        created: now,
        channels: AtomicUsize::new(0),
        last_used_ms: AtomicU64::new(0),
        broken: AtomicBool::new(false),
        meters,
        due: due.clone(),
    })
}

async fn authenticate(handle: &mut Handle<ClientHandler>, device: &Device) -> Result<()> {
    let user = device.user().to_string();
    let transport = |e: russh::Error| Error::Transport {
        device: device.label().to_string(),
        detail: format!("during authentication: {e}"),
    };
    let load_key = |path: &std::path::Path, pass: Option<&str>| {
        russh::keys::load_secret_key(path, pass).map_err(|e| Error::Config {
            setting: "key_file".into(),
            value: path.display().to_string(),
            reason: format!("cannot load private key: {e}"),
        })
    };
    let mut tried = Vec::new();
    let (key, password) = match device.auth() {
        Auth::Password(p) => (None, Some(p.clone())),
        Auth::KeyFile { path, passphrase } => (Some(load_key(path, passphrase.as_deref())?), None),
        Auth::KeyThenPassword { path, password } => {
            // The password is the fallback for any trouble with the key, a key that cannot
            // be read included.
            let key = match load_key(path, None) {
                Ok(k) => Some(k),
                Err(e) => {
                    tracing::debug!(device = %device, "key unusable, trying the password: {e}");
                    None
                }
            };
            (key, Some(password.clone()))
        }
    };
    if let Some(key) = key {
        tried.push("publickey");
        let hash = handle
            .best_supported_rsa_hash()
            .await
            .map_err(transport)?
            .flatten();
        let res = handle
            .authenticate_publickey(
                user.clone(),
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(transport)?;
        if res.success() {
            return Ok(());
        }
    }
    if let Some(pw) = password {
        tried.push("password");
        let res = handle
            .authenticate_password(user.clone(), pw)
            .await
            .map_err(transport)?;
        if res.success() {
            return Ok(());
        }
    }
    Err(Error::AuthFailed {
        device: device.label().to_string(),
        user,
        methods: tried.join(","),
    })
}

/// How an exec failed: before the command could have run, or after.
pub(crate) enum ExecError {
    /// Channel open or exec request failed: the command did not run; safe to retry.
    NotStarted(Error),
    /// The channel broke mid-command.
    Broken(Error),
}

pub(crate) async fn open_channel(conn: &SshConn, device: &Device) -> Result<Channel<Msg>> {
    conn.handle
        .channel_open_session()
        .await
        .map_err(|e| match e {
            russh::Error::ChannelOpenFailure(reason) => Error::ChannelRejected {
                device: device.label().to_string(),
                reason: format!("{reason:?}"),
            },
            other => Error::Transport {
                device: device.label().to_string(),
                detail: format!("channel open: {other}"),
            },
        })
}

/// Run one command on a new exec channel of `conn`.
pub(crate) async fn exec(
    conn: &SshConn,
    device: &Device,
    command: &str,
    max_output: usize,
) -> Result<CliOutput, ExecError> {
    let mut ch = open_channel(conn, device)
        .await
        .map_err(ExecError::NotStarted)?;
    ch.exec(true, command).await.map_err(|e| {
        ExecError::NotStarted(Error::Transport {
            device: device.label().to_string(),
            detail: format!("exec request: {e}"),
        })
    })?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut exit_status = None;
    let mut started = false;
    loop {
        if stdout.len() + stderr.len() > max_output {
            // A device streaming without end: bounded like a NETCONF reply.
            let _ = ch.close().await;
            return Err(ExecError::Broken(Error::Protocol {
                device: device.label().to_string(),
                detail: format!("command output exceeds {max_output} bytes (max_frame)"),
            }));
        }
        match ch.wait().await {
            Some(ChannelMsg::Data { data }) => {
                started = true;
                stdout.extend_from_slice(&data);
            }
            Some(ChannelMsg::ExtendedData { data, .. }) => {
                started = true;
                stderr.extend_from_slice(&data);
            }

            Some(ChannelMsg::ExitStatus { exit_status: s }) => exit_status = Some(s),
            Some(ChannelMsg::Success) => started = true,
            Some(ChannelMsg::Failure) if !started => {
                // Close the channel ourselves, so the device frees it now: a refused exec
                // must not use up the connection's channel slots.
                let _ = ch.close().await;
                return Err(ExecError::NotStarted(Error::ExecRejected {
                    device: device.label().to_string(),
                    command: command.to_string(),
                }));
            }
            Some(ChannelMsg::Close) | None => break,
            Some(_) => {}
        }
    }
    if exit_status.is_none() && stdout.is_empty() && stderr.is_empty() && conn.handle.is_closed() {
        return Err(ExecError::Broken(Error::Transport {
            device: device.label().to_string(),
            detail: "connection closed during command".into(),
        }));
    }
    Ok(CliOutput {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        exit_status,
    })
}
