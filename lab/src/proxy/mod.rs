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

mod config;
mod keys;
mod lease;
pub mod metrics;
pub mod netconf;
mod server;
mod sessions;
pub mod shell;

pub use config::{ProxyConfig, Upstream, DEFAULT_CLIENT_KEEPALIVE, DEFAULT_MAX_MESSAGE};
pub use keys::{default_host_key_path, load_or_create_host_key, read_authorized_keys};
pub(crate) use lease::Leased;
pub(crate) use sessions::Sessions;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use russh::keys::{HashAlg, PublicKey};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

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
