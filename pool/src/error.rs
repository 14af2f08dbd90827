//! Classified errors: each says what failed, on which device, and which bound fired.

use std::time::{Duration, Instant};

use netconf_wire::RpcError;
use thiserror::Error;

/// Why a session was discarded instead of returned to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub enum DiscardReason {
    /// The SSH transport or the channel failed.
    Transport,
    /// An RPC or command ran past its timeout.
    RpcTimeout,
    /// Returned while holding the configuration lock.
    HeldLock,
    /// Returned with uncommitted candidate changes.
    DirtyCandidate,
    /// Found dead by the health check at checkout.
    FailedHealthCheck,
    /// Idle longer than the idle timeout.
    IdleTimeout,
    /// Older than the maximum lifetime.
    MaxLifetime,
    /// The pool is shutting down.
    Shutdown,
    /// The device answered something that is not NETCONF.
    Protocol,
    /// Closed to free a channel for another caller.
    Evicted,
    /// The caller asked for it ([`crate::NetconfGuard::discard`]) or a configure failed.
    Caller,
    /// The caller dropped an RPC mid-flight: the reply would be out of step.
    Cancelled,
}

impl DiscardReason {
    /// The label value: `transport`, `rpc_timeout`, `held_lock`, ...
    pub fn label(self) -> &'static str {
        match self {
            DiscardReason::Transport => "transport",
            DiscardReason::RpcTimeout => "rpc_timeout",
            DiscardReason::HeldLock => "held_lock",
            DiscardReason::DirtyCandidate => "dirty_candidate",
            DiscardReason::FailedHealthCheck => "failed_health_check",
            DiscardReason::IdleTimeout => "idle_timeout",
            DiscardReason::MaxLifetime => "max_lifetime",
            DiscardReason::Shutdown => "shutdown",
            DiscardReason::Protocol => "protocol",
            DiscardReason::Evicted => "evicted",
            DiscardReason::Caller => "caller",
            DiscardReason::Cancelled => "cancelled",
        }
    }
}

/// Everything that can go wrong. Device names are `user@host:port`.
#[derive(Debug, Clone, Error)]
#[non_exhaustive]
pub enum Error {
    /// TCP connect got a refusal (RST): nothing listens on the port.
    #[error("{device}: connection refused")]
    ConnectRefused {
        /// The device.
        device: String,
    },
    /// TCP connect, SSH banner or key exchange did not complete within the bound.
    #[error("{device}: connect timed out after {after:?} ({stage})")]
    ConnectTimeout {
        /// The device.
        device: String,
        /// The bound that fired.
        after: Duration,
        /// `tcp`, `ssh-handshake` or `auth`.
        stage: &'static str,
    },
    /// Another connect failure (no route, reset during handshake, ...).
    #[error("{device}: connect failed: {detail}")]
    Connect {
        /// The device.
        device: String,
        /// What the OS or SSH layer said.
        detail: String,
        /// `tcp` or `ssh-handshake`.
        stage: &'static str,
    },
    /// The device rejected the credentials at SSH user authentication.
    #[error("{device}: authentication failed for user {user:?} (tried: {methods})")]
    AuthFailed {
        /// The device.
        device: String,
        /// The user.
        user: String,
        /// Methods tried, such as `publickey,password`.
        methods: String,
    },
    /// The host key does not match the known_hosts entry or the pinned fingerprints.
    #[error("{device}: host key mismatch: got {fingerprint}, {expected}")]
    HostKeyMismatch {
        /// The device.
        device: String,
        /// The fingerprint presented.
        fingerprint: String,
        /// What was expected.
        expected: String,
    },
    /// The host key is not known and the policy does not allow learning it.
    #[error("{device}: unknown host key {fingerprint} (add it to known_hosts, pin it, or use accept-new)")]
    HostKeyUnknown {
        /// The device.
        device: String,
        /// The fingerprint presented.
        fingerprint: String,
    },
    /// The host key is on an `@revoked` line of known_hosts.
    #[error("{device}: host key {fingerprint} is revoked ({at})")]
    HostKeyRevoked {
        /// The device.
        device: String,
        /// The fingerprint presented.
        fingerprint: String,
        /// The file and line that revoke it.
        at: String,
    },
    /// known_hosts could not be used for this device: the file cannot be read or written,
    /// or it knows the host only through `@cert-authority` lines (netpool does not verify
    /// host certificates).
    #[error("{device}: known_hosts: {detail}")]
    KnownHosts {
        /// The device.
        device: String,
        /// What went wrong, naming the file.
        detail: String,
    },
    /// The device refused to open a channel.
    #[error("{device}: channel rejected: {reason}")]
    ChannelRejected {
        /// The device.
        device: String,
        /// Why.
        reason: String,
    },
    /// The device refused the `netconf` subsystem (NETCONF not enabled?).
    #[error(
        "{device}: subsystem {subsystem:?} rejected (is `system services netconf ssh` configured?)"
    )]
    SubsystemRejected {
        /// The device.
        device: String,
        /// The subsystem.
        subsystem: String,
    },
    /// The device refused to run a command over exec (the channel opened, the exec request
    /// was refused): a definitive answer, not backpressure, so it is not retried.
    #[error("{device}: exec of {command:?} refused by the device")]
    ExecRejected {
        /// The device.
        device: String,
        /// The command.
        command: String,
    },
    /// The device answered with at least one rpc-error of severity `error`, at any depth
    /// of the reply (Junos nests them in load and commit results). The session stays
    /// usable. Warnings never make this error; they stay in a successful reply.
    #[error("{device}: rpc-error: {error}{}", more_errors(errors.len()))]
    Rpc {
        /// The device.
        device: String,
        /// The first error, as the device sent it.
        error: Box<RpcError>,
        /// Every error of severity `error` in the reply, in order (the first included).
        errors: Vec<RpcError>,
    },
    /// An RPC or command did not finish in time; the session was discarded.
    #[error("{device}: no reply within {after:?}; session discarded")]
    RpcTimeout {
        /// The device.
        device: String,
        /// The bound that fired.
        after: Duration,
    },
    /// No session could be had within the checkout timeout.
    #[error("{device}: checkout timed out after {after:?}")]
    CheckoutTimeout {
        /// The device.
        device: String,
        /// The bound that fired.
        after: Duration,
    },
    /// The pool is shut down (or shutting down).
    #[error("pool is closed")]
    Closed,
    /// The device's circuit breaker is open after repeated connect failures.
    #[error("{device}: circuit open for {retry_in:?} more after {failures} consecutive failures (last: {last_error})")]
    CircuitOpen {
        /// The device.
        device: String,
        /// When a probe will be allowed again.
        until: Instant,
        /// How long until then, at the time of the error.
        retry_in: Duration,
        /// Consecutive failures counted.
        failures: u32,
        /// The last connect error.
        last_error: String,
    },
    /// The SSH connection or channel broke after it was established.
    #[error("{device}: transport error: {detail}")]
    Transport {
        /// The device.
        device: String,
        /// What failed.
        detail: String,
    },
    /// The request cannot be sent as given, and nothing was sent: a base:1.0 message
    /// holding the delimiter `]]>]]>` (which would smuggle what follows as a message of its
    /// own). The session is untouched and stays usable.
    #[error("{device}: request not sent: {detail}")]
    InvalidRequest {
        /// The device.
        device: String,
        /// Why.
        detail: String,
    },
    /// The device sent something that is not valid NETCONF (bad framing, bad XML, bad hello).
    #[error("{device}: protocol error: {detail}")]
    Protocol {
        /// The device.
        device: String,
        /// What was wrong.
        detail: String,
    },
    /// A configuration value is invalid.
    #[error("invalid setting {setting}={value:?}: {reason}")]
    Config {
        /// The setting (TOML key or environment variable).
        setting: String,
        /// The value given.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A blocking call was made on a thread that runs a tokio runtime.
    #[error(
        "netpool::blocking called from inside a tokio runtime; use the async netpool::Pool there"
    )]
    BlockingInsideRuntime,
}

impl Error {
    /// Whether retrying the connect could help: a refusal or a reset (a device restarting
    /// its sshd). Not a timeout: a device that did not answer within `connect_timeout`
    /// would cost that bound again on every retry, so a hung device is left to the circuit
    /// breaker (one timeout per cooldown). Not credentials or host keys: those need a human.
    pub fn is_retryable_connect(&self) -> bool {
        matches!(
            self,
            Error::ConnectRefused { .. } | Error::Connect { .. } | Error::Transport { .. }
        )
    }

    /// The stage of connecting this error stopped at: `tcp`, `ssh-handshake`,
    /// `host-key` or `auth` (`None` for an error that is not a connect failure).
    pub fn connect_stage(&self) -> Option<&'static str> {
        Some(match self {
            Error::ConnectRefused { .. } => "tcp",
            Error::ConnectTimeout { stage, .. } | Error::Connect { stage, .. } => stage,
            Error::HostKeyMismatch { .. }
            | Error::HostKeyUnknown { .. }
            | Error::HostKeyRevoked { .. }
            | Error::KnownHosts { .. } => "host-key",
            // Authentication is the one stage whose transport failures come back as such
            // (the handshake's are `Connect`).
            Error::AuthFailed { .. } | Error::Transport { .. } => "auth",
            _ => return None,
        })
    }

    /// Whether this error says the device could not be reached or logged into (as opposed
    /// to an RPC it refused): callers that run many operations can stop sending to it.
    pub fn is_device_down(&self) -> bool {
        matches!(
            self,
            Error::ConnectRefused { .. }
                | Error::ConnectTimeout { .. }
                | Error::Connect { .. }
                | Error::CircuitOpen { .. }
                | Error::AuthFailed { .. }
                | Error::HostKeyMismatch { .. }
                | Error::HostKeyUnknown { .. }
                | Error::HostKeyRevoked { .. }
                | Error::KnownHosts { .. }
        )
    }

    /// The error-tag of an rpc-error, if this is one.
    pub fn rpc_error(&self) -> Option<&RpcError> {
        match self {
            Error::Rpc { error, .. } => Some(error),
            _ => None,
        }
    }
}

fn more_errors(n: usize) -> String {
    match n {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
