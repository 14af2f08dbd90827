//! How the proxy listens, whom it lets in, and the devices behind it.

use std::net::IpAddr;
use std::time::Duration;

use russh::keys::{PrivateKey, PublicKey};

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
