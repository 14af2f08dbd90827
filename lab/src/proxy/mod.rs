//! `netlab proxy`: pgbouncer's session mode for SSH and NETCONF.
//!
//! One local SSH endpoint per inventory device. Clients that cannot change (PyEZ,
//! ncclient, Ansible, netmiko, OpenSSH) log in to the proxy with the proxy's own
//! credentials; each client session leases one pooled upstream session from a
//! [`netpool::Pool`] for its lifetime and gives it back, cleaned, when it ends.
//!
//! - NETCONF (the `netconf` subsystem, or exec `xml-mode netconf need-trailer`): the
//!   client's hello is answered with the device's capabilities and a session-id of the
//!   proxy's own; each `<rpc>` is relayed byte for byte, only its message-id rewritten
//!   ([`netpool::NetconfGuard::relay`]); `close-session` and `kill-session` are the
//!   proxy's (see [`netconf`]).
//! - Exec (`ssh -p 40001 lab@127.0.0.1 'show version'`): a pooled exec upstream.
//! - A shell (netmiko, a person): the Junos CLI prompt, each command run over the leased
//!   NETCONF session (see [`shell`]).
//!
//! Routers see at most the pool's `max_connections_per_device` SSH connections, whatever
//! the number of clients; clients beyond what those connections carry wait FIFO up to the
//! pool's checkout timeout and then get an error that says so.

pub mod metrics;
pub mod netconf;
mod server;
pub mod shell;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::keys::{HashAlg, PrivateKey, PublicKey};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How the proxy listens and whom it lets in.
pub struct ProxyConfig {
    /// Address of every endpoint (127.0.0.1 unless asked otherwise).
    pub listen: IpAddr,
    /// Port of the first device; the others follow (0: a free port each).
    pub first_port: u16,
    /// The password clients log in with (with the inventory's user), if any.
    pub client_password: Option<String>,
    /// Keys clients may log in with instead.
    pub authorized_keys: Vec<PublicKey>,
    /// The proxy's own host key.
    pub host_key: PrivateKey,
    /// A client session silent this long is closed and its lease given back.
    pub client_idle_timeout: Duration,
    /// What a client may do before and after logging in (the SSH server core's limits;
    /// `max_connections` is per endpoint).
    pub ssh_limits: junos_sim::sshd::Limits,
    /// The largest NETCONF message a client may send, in bytes.
    pub max_message: usize,
    /// SSH keepalive interval towards clients: one that vanishes without a FIN (cable
    /// pulled, VM paused) is dropped after three unanswered, and its leases go back.
    pub client_keepalive: Duration,
}

impl ProxyConfig {
    /// The default limits of a proxy facing clients it does not control.
    pub fn default_ssh_limits() -> junos_sim::sshd::Limits {
        junos_sim::sshd::Limits {
            max_connections: 1_000,
            ..Default::default()
        }
    }
}

/// The default of [`ProxyConfig::client_keepalive`].
pub const DEFAULT_CLIENT_KEEPALIVE: Duration = Duration::from_secs(15);

/// The default of [`ProxyConfig::max_message`]: netpool's own `max_frame`.
pub const DEFAULT_MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// An upstream device: its inventory name and how the pool reaches it.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// Inventory name.
    pub name: String,
    /// The pool's device (credentials stay here, never logged).
    pub device: netpool::Device,
}

/// What one endpoint has seen.
#[derive(Default, Debug)]
pub struct EndpointCounters {
    /// Client SSH connections open now.
    pub clients: AtomicU64,
    /// Client SSH connections accepted so far.
    pub client_connections: AtomicU64,
    /// Client logins refused.
    pub auth_failures: AtomicU64,
    /// Upstream sessions lent to clients now.
    pub leases: AtomicU64,
    /// Client NETCONF sessions so far.
    pub netconf_sessions: AtomicU64,
    /// RPCs relayed.
    pub rpcs: AtomicU64,
    /// Exec commands and shell commands run.
    pub commands: AtomicU64,
    /// Upstream sessions cleaned for the next client (lock, changes, private config).
    pub resets: AtomicU64,
    /// Failures a client saw (no session in time, upstream broke, timeouts).
    pub errors: AtomicU64,
    /// Client connections closed at accept, over a cap.
    pub refused: AtomicU64,
    /// Client connections cut before login (handshake timeout, login grace time).
    pub cut_pre_auth: AtomicU64,
    /// Channel opens refused (over the channels-per-connection cap).
    pub channels_refused: AtomicU64,
    /// Client sessions ended by another client's kill-session.
    pub kill_sessions: AtomicU64,
    /// Client sessions waiting for an upstream session now.
    pub waiting: AtomicU64,
    /// Bytes clients sent: RPCs, commands, shell keystrokes.
    pub bytes_to_device: AtomicU64,
    /// Bytes sent to clients: replies and command output.
    pub bytes_to_client: AtomicU64,
}

/// One device's local endpoint.
pub struct Endpoint {
    /// Inventory name.
    pub name: String,
    /// Where clients connect.
    pub addr: SocketAddr,
    /// The upstream device.
    pub device: netpool::Device,
    /// Counters.
    pub counters: EndpointCounters,
    /// The state the SSH caps count in.
    gate: junos_sim::sshd::Gate,
}

/// Client session-ids the proxy handed out, with the upstream session each one leases
/// (for `kill-session`).
#[derive(Default)]
pub(crate) struct Sessions {
    next: AtomicU32,
    live: Mutex<std::collections::HashMap<u32, Live>>,
}

/// A client NETCONF session of the proxy: its endpoint, and the token `kill-session`
/// cancels to end it.
#[derive(Clone)]
pub(crate) struct Live {
    endpoint: usize,
    kill: CancellationToken,
}

impl Sessions {
    /// Register a client session of `endpoint`: its id, and the token that ends it.
    pub(crate) fn open(&self, endpoint: usize) -> (u32, CancellationToken) {
        let id = self.next.fetch_add(1, Relaxed) + 1;
        let kill = CancellationToken::new();
        self.lock().insert(
            id,
            Live {
                endpoint,
                kill: kill.clone(),
            },
        );
        (id, kill)
    }

    /// Called once the session's lease is back in the pool (cleaned or discarded).
    pub(crate) fn close(&self, id: u32) {
        self.lock().remove(&id);
    }

    /// End client session `id` of `endpoint`, as Junos's kill-session ends the session it
    /// names. False if no such live session: an id the proxy never gave out, one that
    /// ended, or one of another endpoint.
    pub(crate) fn kill(&self, endpoint: usize, id: u32) -> bool {
        match self.lock().get(&id).filter(|l| l.endpoint == endpoint) {
            Some(l) => {
                l.kill.cancel();
                true
            }
            None => false,
        }
    }

    /// Whether client session `id` is still registered (its lease not yet back).
    pub(crate) fn is_live(&self, id: u32) -> bool {
        self.lock().contains_key(&id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u32, Live>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(crate) struct Shared {
    pub(crate) pool: netpool::Pool,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) sessions: Sessions,
    pub(crate) client_password: Option<String>,
    pub(crate) authorized_keys: Vec<PublicKey>,
    pub(crate) client_idle_timeout: Duration,
    pub(crate) ssh_limits: junos_sim::sshd::Limits,
    pub(crate) max_message: usize,
    pub(crate) token: CancellationToken,
}

/// An upstream session lent to one client of an endpoint: counted in the endpoint's
/// `leases` for exactly as long as it lives, whichever way it ends.
pub(crate) struct Leased<'a> {
    pub(crate) session: netpool::NetconfGuard,
    counters: &'a EndpointCounters,
    _counted: InGauge<'a>,
}

/// Counts one in a gauge while it lives (a lease lent, a client waiting).
struct InGauge<'a>(&'a AtomicU64);

impl<'a> InGauge<'a> {
    fn new(gauge: &'a AtomicU64) -> Self {
        gauge.fetch_add(1, Relaxed);
        InGauge(gauge)
    }
}

impl Drop for InGauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

impl Shared {
    /// Lease an upstream session for a client of `endpoint`: the pool's FIFO wait up to
    /// its checkout timeout, or until the proxy shuts down. A failure is counted and
    /// comes back as the message the client is given.
    pub(crate) async fn lease(&self, endpoint: usize) -> Result<Leased<'_>, String> {
        let ep = &self.endpoints[endpoint];
        let waiting = InGauge::new(&ep.counters.waiting);
        let res = tokio::select! {
            r = self.pool.netconf(&ep.device) => r,
            _ = self.token.cancelled() => return Err("netlab proxy: shutting down".into()),
        };
        drop(waiting);
        match res {
            Ok(session) => Ok(Leased {
                session,
                counters: &ep.counters,
                _counted: InGauge::new(&ep.counters.leases),
            }),
            Err(e) => {
                ep.counters.errors.fetch_add(1, Relaxed);
                tracing::info!(endpoint = %ep.name, "no upstream session for a client: {e}");
                Err(format!("netlab proxy: no upstream session: {e}"))
            }
        }
    }
}

impl Leased<'_> {
    /// Hand the session back fit for the next client: cleaned (close-configuration,
    /// discard-changes, unlock) if it holds state, discarded if cleaning fails.
    /// Drop the upstream session without cleaning it: its transport failed.
    pub(crate) fn discard(self) {
        self.session.discard();
    }

    pub(crate) async fn give_back(self) {
        let Leased {
            mut session,
            counters,
            _counted,
        } = self;
        if session.needs_reset() {
            counters.resets.fetch_add(1, Relaxed);
            if let Err(e) = session.reset().await {
                tracing::info!("upstream session could not be cleaned, discarded: {e}");
                session.discard();
            }
        }
    }
}

/// A running proxy. Dropping it does not stop it: call [`Proxy::shutdown`].
#[derive(Clone)]
pub struct Proxy {
    shared: Arc<Shared>,
    fingerprint: String,
}

impl Proxy {
    /// Bind one endpoint per upstream and start serving. Fails, naming the address, if a
    /// port is taken.
    pub async fn start(
        pool: netpool::Pool,
        upstreams: Vec<Upstream>,
        cfg: ProxyConfig,
    ) -> Result<Proxy, String> {
        cfg.ssh_limits.check()?;
        if cfg.client_keepalive.is_zero() {
            return Err("client keepalive 0: clients that vanish would never be found".into());
        }
        if cfg.max_message < 1024 {
            return Err(format!(
                "max message {} bytes: at least 1024 (a hello must fit)",
                cfg.max_message
            ));
        }
        if cfg.client_password.is_none() && cfg.authorized_keys.is_empty() {
            return Err(
                "no way for clients to log in: give a client password or authorized keys".into(),
            );
        }
        let mut listeners = Vec::new();
        let mut endpoints = Vec::new();
        for (i, u) in upstreams.into_iter().enumerate() {
            let port = match cfg.first_port {
                0 => 0,
                p => u16::try_from(usize::from(p) + i)
                    .map_err(|_| format!("{}: port past 65535 (lower --first-port)", u.name))?,
            };
            let at = SocketAddr::new(cfg.listen, port);
            let l = TcpListener::bind(at)
                .await
                .map_err(|e| format!("{}: listening on {at}: {e}", u.name))?;
            endpoints.push(Endpoint {
                name: u.name,
                addr: l.local_addr().map_err(|e| e.to_string())?,
                device: u.device,
                counters: EndpointCounters::default(),
                gate: Default::default(),
            });
            listeners.push(l);
        }
        let fingerprint = cfg
            .host_key
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string();
        let shared = Arc::new(Shared {
            pool,
            endpoints,
            sessions: Sessions::default(),
            client_password: cfg.client_password,
            authorized_keys: cfg.authorized_keys,
            client_idle_timeout: cfg.client_idle_timeout,
            ssh_limits: cfg.ssh_limits,
            max_message: cfg.max_message,
            token: CancellationToken::new(),
        });
        let mut server_config = junos_sim::sshd::russh_config("netlab_proxy", cfg.host_key);
        // A client that vanishes without a FIN (cable pulled, VM paused) is found by the
        // keepalives, and its leases go back to the pool.
        server_config.keepalive_interval = Some(cfg.client_keepalive);
        server_config.keepalive_max = 3;
        server_config.auth_rejection_time = Duration::from_millis(200);
        let server_config = Arc::new(server_config);
        let stop = junos_sim::sshd::Stop {
            kill: CancellationToken::new(),
            halt: shared.token.clone(),
            goodbye: "netlab proxy shutting down",
            linger: Duration::from_secs(1),
        };
        for (i, l) in listeners.into_iter().enumerate() {
            let service = server::Endpoint {
                shared: shared.clone(),
                endpoint: i,
            };
            tokio::spawn(junos_sim::sshd::serve(
                Arc::new(service),
                l,
                server_config.clone(),
                stop.clone(),
            ));
        }
        Ok(Proxy {
            shared,
            fingerprint,
        })
    }

    /// The endpoints, in inventory order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.shared.endpoints
    }

    /// The proxy's host key fingerprint (`SHA256:...`).
    pub fn host_key_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The pool behind the proxy.
    pub fn pool(&self) -> &netpool::Pool {
        &self.shared.pool
    }

    /// A row per device: clients, leases, waiters, upstream connections, errors.
    pub fn stats_table(&self) -> String {
        use std::fmt::Write as _;
        let pool_stats = self.shared.pool.stats();
        let mut s = format!(
            "{:<10} {:<22} {:>7} {:>6} {:>7} {:>8} {:>8} {:>6} {:>8} {:>6} {:>6}\n",
            "device",
            "endpoint",
            "clients",
            "leases",
            "waiting",
            "upstream",
            "connects",
            "rpcs",
            "commands",
            "resets",
            "errors"
        );
        for e in &self.shared.endpoints {
            let c = &e.counters;
            let label = e.device.label();
            let st = pool_stats.iter().find(|d| d.device == label);
            let _ = writeln!(
                s,
                "{:<10} {:<22} {:>7} {:>6} {:>7} {:>8} {:>8} {:>6} {:>8} {:>6} {:>6}",
                e.name,
                e.addr.to_string(),
                c.clients.load(Relaxed),
                c.leases.load(Relaxed),
                st.map_or(0, |d| d.waiting),
                st.map_or(0, |d| d.connections),
                st.map_or(0, |d| d.connects),
                c.rpcs.load(Relaxed),
                c.commands.load(Relaxed),
                c.resets.load(Relaxed),
                c.errors.load(Relaxed) + c.auth_failures.load(Relaxed),
            );
        }
        s
    }

    /// Stop accepting, end client sessions (leases go back, cleaned) and close the pool
    /// within `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        self.shared.token.cancel();
        // Client sessions see the token and hand their leases back first.
        let deadline = tokio::time::Instant::now() + grace / 2;
        while self
            .shared
            .endpoints
            .iter()
            .any(|e| e.counters.leases.load(Relaxed) > 0)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.shared.pool.shutdown(grace / 2).await;
    }

    /// An inventory in `netlab sim`'s format that points at the endpoints: the client
    /// user of each device, the password by reference, the proxy's host key pinned.
    pub fn inventory(&self, password_env: &str) -> String {
        let mut s = format!(
            "# Written by `netlab proxy`: one endpoint per device, pooled upstream.\n# The client password is the one the proxy was given:\n#   export {password_env}=...\n\n[defaults]\npassword_env = \"{password_env}\"\nhost_key_policy = \"pinned\"\ntransport = \"netconf\"\n"
        );
        for e in &self.shared.endpoints {
            s.push_str(&format!(
                "\n[[device]]\nname = {:?}\nhost = \"{}\"\nport = {}\nuser = {:?}\nhost_key = \"{}\"\n",
                e.name,
                e.addr.ip(),
                e.addr.port(),
                e.device.user(),
                self.fingerprint
            ));
        }
        s
    }
}

/// Where `netlab proxy` keeps its host key when `--host-key` is not given: under the
/// user's state directory (`$XDG_STATE_HOME/netlab/`, else `~/.local/state/netlab/`).
pub fn default_host_key_path() -> Result<PathBuf, String> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let state = env("XDG_STATE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| h.join(".local/state")))
        .ok_or("no state directory for the proxy's host key: HOME and XDG_STATE_HOME are unset; give --host-key FILE")?;
    Ok(state.join("netlab").join("proxy-host-key"))
}

/// Read the proxy's host key from `path`, or create an Ed25519 key there (mode 0600; its
/// directory, if missing, mode 0700) if the file does not exist. Errors name the file.
pub fn load_or_create_host_key(path: &Path) -> Result<PrivateKey, String> {
    let at = |e: &dyn std::fmt::Display| format!("host key {}: {e}", path.display());
    match std::fs::read_to_string(path) {
        Ok(text) => PrivateKey::from_openssh(text.trim()).map_err(|e| at(&e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
                &seed,
            ));
            let text = key
                .to_openssh(russh::keys::ssh_key::LineEnding::LF)
                .map_err(|e| at(&e))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                use std::os::unix::fs::DirBuilderExt as _;
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| at(&e))?;
            }
            write_private(path, text.as_bytes()).map_err(|e| at(&e))?;
            Ok(key)
        }
        Err(e) => Err(at(&e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

/// Read an OpenSSH `authorized_keys` file: one key per line (options before the key
/// type are not supported and are an error naming the line); blank lines and `#`
/// comments are skipped.
pub fn read_authorized_keys(path: &Path) -> Result<Vec<PublicKey>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_authorized_keys(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_authorized_keys(text: &str) -> Result<Vec<PublicKey>, String> {
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = PublicKey::from_openssh(line)
            .map_err(|e| format!("line {}: not a public key ({e})", n + 1))?;
        keys.push(key);
    }
    if keys.is_empty() {
        return Err("no keys".into());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorized_keys_skip_comments_and_name_a_bad_line() {
        let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
            &[7; 32],
        ));
        let line = key.public_key().to_openssh().unwrap();
        let keys = parse_authorized_keys(&format!("# ops\n\n{line} ops@host\n")).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key_data(), key.public_key().key_data());
        let e = parse_authorized_keys(&format!("{line}\nssh-ed25519 AAAA!!\n")).unwrap_err();
        assert!(e.starts_with("line 2: not a public key"), "{e}");
        assert_eq!(parse_authorized_keys("# none\n").unwrap_err(), "no keys");
    }

    #[test]
    fn the_host_key_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("proxy_host_key");
        let a = load_or_create_host_key(&p).unwrap();
        let b = load_or_create_host_key(&p).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&p, "not a key").unwrap();
        let e = load_or_create_host_key(&p).unwrap_err();
        assert!(e.starts_with(&format!("host key {}:", p.display())), "{e}");
    }

    #[test]
    fn session_ids_map_to_their_endpoint_only() {
        let s = Sessions::default();
        let (a, ka) = s.open(0);
        let (b, kb) = s.open(1);
        assert_ne!(a, b);
        assert!(!s.kill(1, a), "another endpoint's session");
        assert!(!ka.is_cancelled());
        assert!(!s.kill(0, 9999), "an id never given out");
        assert!(s.kill(0, a));
        assert!(ka.is_cancelled() && !kb.is_cancelled());
        assert!(s.is_live(a), "live until its lease is back");
        s.close(a);
        assert!(!s.is_live(a));
        assert!(!s.kill(0, a), "an ended session");
    }
}
