//! A simulated device: its knobs, its accounts, its listeners and what it holds.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{HashAlg, PrivateKey, PublicKey};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::counters::{CounterSnapshot, Counters};
use crate::profile::Timing;
use crate::spec::{mix, DeviceSpec};
use crate::state::DeviceState;
use crate::sync::lock;

/// A user account on a simulated device.
#[derive(Clone)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Password, if password authentication is allowed.
    pub password: Option<String>,
    /// Public keys accepted for this user.
    pub keys: Vec<PublicKey>,
}

impl std::fmt::Debug for User {
    // The password is a secret: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl User {
    /// A user with a password.
    pub fn with_password(name: &str, password: &str) -> Self {
        Self {
            name: name.into(),
            password: Some(password.into()),
            keys: Vec::new(),
        }
    }
}

/// Knobs of one device.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// Accounts.
    pub users: Vec<User>,
    /// Synthetic routes in inet.0.
    pub route_count: u32,
    /// Timing profile.
    pub timing: Timing,
    /// Offer NETCONF base:1.1 (chunked framing) in the hello.
    pub netconf_1_1: bool,
    /// Junos `system services ssh connection-limit`: concurrent SSH connections.
    pub connection_limit: usize,
    /// Junos `system services ssh rate-limit`: new connections per minute (None = unlimited).
    pub rate_limit_per_minute: Option<u32>,
    /// Channels (sessions) allowed per SSH connection (Junos and OpenSSH default: 10).
    pub channels_per_connection: usize,
    /// Largest NETCONF message accepted from a client.
    pub max_frame: usize,
    /// How long a connection may stay unauthenticated before it is closed (OpenSSH's
    /// LoginGraceTime; 120 s).
    pub login_grace: Duration,
    /// How long a client has for its version line and key exchange (30 s).
    pub handshake_timeout: Duration,
    /// Connections not logged in yet, at once (OpenSSH's MaxStartups hard limit: 100).
    pub max_startups: usize,
    /// How long one minute of a `commit confirmed` timeout lasts: 60 s, as on Junos;
    /// tests shorten it to see a confirmed commit expire.
    pub confirm_minute: Duration,
}

/// The login every simulated router accepts unless configured otherwise.
pub const DEFAULT_USER: &str = "lab";
/// Its password (a lab's, printed by `netlab sim`; never a real credential).
pub const DEFAULT_PASSWORD: &str = "lab123";

impl DeviceConfig {
    /// The SSH limits this configuration gives the device's server.
    pub(crate) fn ssh_limits(&self) -> crate::sshd::Limits {
        crate::sshd::Limits {
            handshake_timeout: self.handshake_timeout,
            login_grace: self.login_grace,
            max_startups: self.max_startups,
            max_connections: self.connection_limit,
            rate_per_minute: self.rate_limit_per_minute,
            max_channels: self.channels_per_connection,
        }
    }
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self {
            users: vec![User::with_password(DEFAULT_USER, DEFAULT_PASSWORD)],
            route_count: 1_000,
            timing: Timing::instant(),
            netconf_1_1: false,
            connection_limit: 75,
            rate_limit_per_minute: None,
            channels_per_connection: 10,
            max_frame: 16 * 1024 * 1024,
            confirm_minute: Duration::from_secs(60),
            login_grace: Duration::from_secs(120),
            handshake_timeout: Duration::from_secs(30),
            max_startups: 100,
        }
    }
}

/// Fault switches of one device, shared with its connections.
#[derive(Debug, Default)]
pub(crate) struct Control {
    pub(crate) refuse_auth: AtomicBool,
    pub(crate) stalled: AtomicBool,
    pub(crate) extra_delay_ms: AtomicU64,
    pub(crate) hello_delay_ms: AtomicU64,
    pub(crate) refuse_exec: AtomicBool,
}

pub(crate) struct DeviceInner {
    pub(crate) spec: DeviceSpec,
    pub(crate) config: DeviceConfig,
    pub(crate) state: Mutex<DeviceState>,
    pub(crate) counters: Counters,
    pub(crate) control: Arc<Control>,
    pub(crate) host_key: PrivateKey,
    pub(crate) next_session_id: AtomicU32,
    /// The routing engine's capacity to serve commands at once.
    pub(crate) engine: Semaphore,
    pub(crate) addrs: Mutex<Vec<SocketAddr>>,
    /// Cancelled by `kill`; replaced by `restart`.
    pub(crate) kill: Mutex<CancellationToken>,
    /// Cancelled by `shutdown`: connections are told goodbye; replaced by `restart`.
    pub(crate) halt: Mutex<CancellationToken>,
    /// The SSH server's limits (from `config`) and the state its caps count in.
    pub(crate) limits: crate::sshd::Limits,
    pub(crate) gate: crate::sshd::Gate,
    pub(crate) ssh_config: Arc<russh::server::Config>,
    /// NETCONF sessions by id, for kill-session.
    pub(crate) netconf_kill: Mutex<std::collections::HashMap<u32, CancellationToken>>,
}

/// A running simulated device. Cheap to clone; the device stops when the fleet is dropped
/// or [`Router::kill`] is called.
#[derive(Clone)]
pub struct Router {
    pub(crate) inner: Arc<DeviceInner>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("hostname", &self.inner.spec.hostname)
            .field("addrs", &self.addrs())
            .finish()
    }
}

impl Router {
    /// A device not serving yet (`Router::start`, in `ssh.rs`, binds its listeners).
    pub(crate) fn new(spec: DeviceSpec, config: DeviceConfig, addrs: &[SocketAddr]) -> Router {
        let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed_bytes(spec.seed)));
        let concurrency = config.timing.concurrency.max(1);
        let limits = config.ssh_limits();
        let ssh_config = Arc::new(crate::sshd::russh_config("OpenSSH_junos_sim", key.clone()));
        Router {
            inner: Arc::new(DeviceInner {
                state: Mutex::new(DeviceState::new(&spec)),
                spec,
                config,
                counters: Counters::default(),
                control: Arc::new(Control::default()),
                host_key: key,
                next_session_id: AtomicU32::new(1),
                engine: Semaphore::new(concurrency),
                addrs: Mutex::new(addrs.to_vec()),
                kill: Mutex::new(CancellationToken::new()),
                halt: Mutex::new(CancellationToken::new()),
                limits,
                gate: crate::sshd::Gate::default(),
                ssh_config,
                netconf_kill: Mutex::default(),
            }),
        }
    }

    /// The addresses the device listens on (the first is its SSH address).
    pub fn addrs(&self) -> Vec<SocketAddr> {
        lock(&self.inner.addrs).clone()
    }

    /// The SSH address (first listener).
    pub fn addr(&self) -> SocketAddr {
        self.addrs()[0]
    }

    /// Hostname (`r1`, ...).
    pub fn hostname(&self) -> &str {
        &self.inner.spec.hostname
    }

    /// The device's spec.
    pub fn spec(&self) -> &DeviceSpec {
        &self.inner.spec
    }

    /// The device's knobs.
    pub fn config(&self) -> &DeviceConfig {
        &self.inner.config
    }

    /// The host public key.
    pub fn host_key(&self) -> PublicKey {
        self.inner.host_key.public_key().clone()
    }

    /// SHA256 host key fingerprint as OpenSSH prints it (`SHA256:...`).
    pub fn host_key_fingerprint(&self) -> String {
        self.inner
            .host_key
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }

    /// Read every counter.
    pub fn counters(&self) -> CounterSnapshot {
        self.inner.counters.snapshot()
    }

    /// The device's state, under its lock (recovered if a panic poisoned it: every
    /// change to the state is made whole or not at all).
    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, DeviceState> {
        lock(&self.inner.state)
    }

    /// Commits made so far.
    pub fn commit_count(&self) -> usize {
        self.state().commits.len()
    }

    /// The session holding the configuration lock, if any.
    pub fn lock_holder(&self) -> Option<u32> {
        self.state().lock_holder
    }

    /// A value of the shared candidate configuration.
    pub fn candidate_value(&self, path: &[&str]) -> Option<String> {
        self.state().candidate.value(path).map(str::to_string)
    }

    /// Whether a `commit confirmed` awaits its confirmation.
    pub fn commit_confirm_pending(&self) -> bool {
        self.state().pending_confirm.is_some()
    }

    /// The comment (`log`) of the latest commit.
    pub fn last_commit_comment(&self) -> Option<String> {
        self.state().commits.last().and_then(|c| c.comment.clone())
    }

    /// Sessions with a private candidate open.
    pub fn private_candidates(&self) -> usize {
        self.state().private.len()
    }

    /// A value of the running configuration, such as `["system", "host-name"]`.
    pub fn running_value(&self, path: &[&str]) -> Option<String> {
        self.state().running.value(path).map(str::to_string)
    }

    /// `system host-name` in the shared candidate: where a change a client left behind
    /// shows.
    pub fn candidate_host_name(&self) -> Option<String> {
        self.candidate_value(&["system", "host-name"])
    }

    /// `system host-name` in the running configuration: what a commit changed.
    pub fn running_host_name(&self) -> Option<String> {
        self.running_value(&["system", "host-name"])
    }

    /// Stop as a router does on `request system halt`: refuse new connections, tell every
    /// SSH client goodbye (SSH disconnect), then drop what is left after `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        lock(&self.inner.halt).cancel();
        let end = tokio::time::Instant::now() + grace;
        while self.inner.counters.sessions_open.load(Relaxed) > 0
            && tokio::time::Instant::now() < end
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.kill();
    }

    pub(crate) fn next_session_id(&self) -> u32 {
        self.inner.next_session_id.fetch_add(1, Relaxed)
    }
}

/// The host key fingerprint (`SHA256:...`) device `index` of a fleet seeded with `seed`
/// has: keys are derived, so an inventory of a fleet served elsewhere (other processes,
/// containers, pods) can pin them without asking the devices.
pub fn host_key_fingerprint_of(index: usize, seed: u64) -> String {
    let spec = DeviceSpec::new(index, seed, 0);
    PrivateKey::from(Ed25519Keypair::from_seed(&seed_bytes(spec.seed)))
        .public_key()
        .fingerprint(HashAlg::Sha256)
        .to_string()
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&mix(seed.wrapping_add(i as u64)).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn a_fleets_host_keys_can_be_known_without_starting_it() {
        for (index, seed) in [(0, 1), (41, 1), (9_999, 7)] {
            let dev = Router::new(
                DeviceSpec::new(index, seed, 0),
                DeviceConfig::default(),
                &[],
            );
            assert_eq!(
                host_key_fingerprint_of(index, seed),
                dev.host_key_fingerprint()
            );
        }
        assert_ne!(host_key_fingerprint_of(0, 1), host_key_fingerprint_of(1, 1));
    }
}
