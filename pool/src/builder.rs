//! [`PoolBuilder`]: settings in code. Each plain setting's setter is generated from the
//! one table in `config.rs`, so the builder can never lack a setting the config has.

use crate::config::{HostKeyPolicy, PoolConfig};
use crate::error::Result;
use crate::pool::Pool;

/// Builds a [`Pool`]. Each setter's default is documented on it and on [`PoolConfig`].
#[derive(Debug, Clone, Default)]
pub struct PoolBuilder {
    pub(crate) config: PoolConfig,
}

impl PoolBuilder {
    /// Start from these settings.
    #[must_use]
    pub fn config(mut self, config: PoolConfig) -> Self {
        self.config = config;
        self
    }

    /// Host key verification. Defaults to the user's known_hosts.
    #[must_use]
    pub fn host_key_policy(mut self, policy: HostKeyPolicy) -> Self {
        self.config.host_key_policy = policy;
        self
    }

    /// Bound each step before a session's first request (connect, authentication,
    /// session open) to `d`: see [`PoolConfig::set_handshake_timeout`].
    #[must_use]
    pub fn handshake_timeout(mut self, d: std::time::Duration) -> Self {
        self.config.set_handshake_timeout(d);
        self
    }

    /// Validate and start the pool (inside a tokio runtime).
    pub fn build(self) -> Result<Pool> {
        Pool::new(self.config)
    }
}
