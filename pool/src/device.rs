//! A device the pool connects to.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

/// How to authenticate.
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Auth {
    /// A password.
    Password(String),
    /// A private key file (OpenSSH format), with an optional passphrase.
    KeyFile {
        /// Path of the private key.
        path: PathBuf,
        /// Passphrase, if the key is encrypted.
        passphrase: Option<String>,
    },
    /// Try the key first, then the password.
    KeyThenPassword {
        /// Path of the private key.
        path: PathBuf,
        /// The password.
        password: String,
    },
}

impl fmt::Debug for Auth {
    // Secrets are never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Password(_) => f.write_str("Password(***)"),
            Auth::KeyFile { path, .. } => write!(f, "KeyFile({})", path.display()),
            Auth::KeyThenPassword { path, .. } => {
                write!(f, "KeyThenPassword({}, ***)", path.display())
            }
        }
    }
}

/// A network device: where it is, who we are on it.
///
/// Devices are the pool's keys: two `Device`s with the same address, port, user and
/// credentials share sessions.
#[derive(Clone)]
pub struct Device {
    pub(crate) inner: Arc<DeviceInner>,
}

pub(crate) struct DeviceInner {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) auth: Auth,
    /// Host keys pinned for this device alone (SHA256 fingerprints): when set, the only
    /// keys it may present, whatever the pool's policy.
    pub(crate) host_keys: Vec<String>,
    pub(crate) label: String,
    /// A hash of the fields above, computed once: every checkout looks its device up.
    key_hash: u64,
}

impl DeviceInner {
    fn same_key(&self, o: &DeviceInner) -> bool {
        self.key_hash == o.key_hash
            && self.port == o.port
            && self.host == o.host
            && self.user == o.user
            && self.auth == o.auth
            && self.host_keys == o.host_keys
    }
}

impl PartialEq for Device {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner) || self.inner.same_key(&other.inner)
    }
}

impl Eq for Device {}

impl Hash for Device {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.inner.key_hash);
    }
}

impl Device {
    /// A device reached at `host:port` as `user`.
    pub fn new(host: impl Into<String>, port: u16, user: impl Into<String>, auth: Auth) -> Self {
        let host = host.into();
        let user = user.into();
        let label = if host.contains(':') {
            format!("{user}@[{host}]:{port}")
        } else {
            format!("{user}@{host}:{port}")
        };
        Self::build(host, port, user, auth, Vec::new(), label)
    }

    fn build(
        host: String,
        port: u16,
        user: String,
        auth: Auth,
        host_keys: Vec<String>,
        label: String,
    ) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&host, port, &user, &auth, &host_keys).hash(&mut h);
        Self {
            inner: Arc::new(DeviceInner {
                host,
                port,
                user,
                auth,
                host_keys,
                label,
                key_hash: h.finish(),
            }),
        }
    }

    /// This device with its own pinned host keys (`SHA256:...` fingerprints, as
    /// `ssh-keygen -l` prints them): it is accepted only when it presents one of them,
    /// whatever the pool's [`crate::HostKeyPolicy`]. A key pinned for one device never
    /// vouches for another. Devices with different pins never share sessions.
    #[must_use]
    pub fn with_host_keys<I, S>(self, fingerprints: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let d = &self.inner;
        Self::build(
            d.host.clone(),
            d.port,
            d.user.clone(),
            d.auth.clone(),
            fingerprints.into_iter().map(Into::into).collect(),
            d.label.clone(),
        )
    }

    /// The host keys pinned for this device (empty: the pool's policy decides).
    pub fn host_keys(&self) -> &[String] {
        &self.inner.host_keys
    }

    /// A device with password authentication.
    pub fn with_password(
        host: impl Into<String>,
        port: u16,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self::new(host, port, user, Auth::Password(password.into()))
    }

    /// Host name or address.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// TCP port.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// Login user.
    pub fn user(&self) -> &str {
        &self.inner.user
    }

    /// `user@host:port`, as errors and stats name it.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.inner.auth
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("label", &self.inner.label)
            .field("auth", &self.inner.auth)
            .finish()
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.label)
    }
}

/// A hasher for maps keyed by [`Device`], whose hash is computed once per device.
#[derive(Default)]
pub(crate) struct DeviceKeyHasher(u64);

impl Hasher for DeviceKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `Device` (which writes one u64); a plain FNV-1a for anything else.
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub(crate) type DeviceMap<V> =
    std::collections::HashMap<Device, V, std::hash::BuildHasherDefault<DeviceKeyHasher>>;
