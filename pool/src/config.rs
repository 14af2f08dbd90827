//! Pool settings: defaults, validation, TOML and `NETPOOL_*` environment variables.
//!
//! Every setting has one name, used as the TOML key and, upper-cased with a `NETPOOL_`
//! prefix, as the environment variable (`checkout_timeout` / `NETPOOL_CHECKOUT_TIMEOUT`).
//! Durations are written `250ms`, `5s`, `2m`, `1h` (a bare number is seconds); optional
//! ones accept `none`. An invalid value is an [`Error::Config`] naming the setting and the
//! value, never a silent default.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// How host keys are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostKeyPolicy {
    /// Accept only keys listed in a known_hosts file (default: `~/.ssh/known_hosts`), read
    /// as OpenSSH reads it: patterns with `*`, `?` and `!`, `[host]:port`, hashed names;
    /// any matching line accepts; a key on an `@revoked` line is refused (for every host);
    /// a host known only through `@cert-authority` is refused with
    /// [`crate::Error::KnownHosts`] (netpool does not verify host certificates); the key
    /// types already known for a host are offered first; a file that exists but cannot be
    /// read is [`crate::Error::KnownHosts`], naming it.
    KnownHosts(Option<PathBuf>),
    /// Like `KnownHosts`, but an unknown host's key is learned (written to the file) on
    /// first use. A changed key is still refused. OpenSSH's `accept-new`. Learning is
    /// serialized within the process (concurrent connects learn one key), and the line is
    /// written hashed when the file already holds hashed names.
    AcceptNew(Option<PathBuf>),
    /// Accept only these SHA256 fingerprints (`SHA256:...`, as `ssh-keygen -l` prints),
    /// for any device: one list for the whole pool, so a key listed for one device is
    /// accepted from every other. Prefer [`HostKeyPolicy::PerDevice`] with
    /// [`crate::Device::with_host_keys`], which pins each device to its own keys.
    Pinned(Vec<String>),
    /// Every device carries its own pinned keys ([`crate::Device::with_host_keys`]); a
    /// device without pins is refused. What an inventory with a `host_key` per device
    /// asks for.
    PerDevice,
    /// Accept any host key. Only for labs and simulators: a man in the middle goes unseen.
    InsecureAcceptAny,
}

/// Declares every plain setting once: its doc (with its default), type, default value and
/// parser. From this one table come the [`PoolConfig`] field, its `Default`, its name in
/// [`SETTINGS`] (the TOML key, and `NETPOOL_` + upper case for the environment), its arm
/// in [`PoolConfig::set`], and its [`crate::PoolBuilder`] setter.
macro_rules! settings {
    ($( $(#[doc = $doc:literal])+ $name:ident: $t:ty = $default:expr, $parse:ident $(($min:expr))?; )*) => {
        /// Every knob of the pool. Build one with [`crate::PoolBuilder`],
        /// [`PoolConfig::from_toml`] or [`PoolConfig::from_env`].
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct PoolConfig {
            $( $(#[doc = $doc])+ pub $name: $t, )*
            /// Host key verification. Defaults to the user's known_hosts.
            pub host_key_policy: HostKeyPolicy,
        }

        impl Default for PoolConfig {
            fn default() -> Self {
                Self {
                    $( $name: $default, )*
                    host_key_policy: HostKeyPolicy::KnownHosts(None),
                }
            }
        }

        /// The names of every setting, for documentation and error messages.
        pub const SETTINGS: &[&str] = &[
            $( stringify!($name), )*
            "host_key_policy",
            "known_hosts_file",
            "pinned_fingerprints",
        ];

        impl PoolConfig {
            /// Set a plain setting; `Ok(false)` when `key` is not one.
            fn set_plain(&mut self, key: &str, v: &str, setting: &str) -> Result<bool> {
                match key {
                    $( stringify!($name) => self.$name = $parse(setting, v $(, $min)?)?, )*
                    _ => return Ok(false),
                }
                Ok(true)
            }
        }

        impl crate::PoolBuilder {
            $(
                $(#[doc = $doc])+
                #[must_use]
                pub fn $name(mut self, v: $t) -> Self {
                    self.config.$name = v;
                    self
                }
            )*
        }
    };
}

settings! {
    /// SSH connections per device. Defaults to 2.
    max_connections_per_device: usize = 2, parse_num(1);
    /// Channels (NETCONF sessions and execs) per SSH connection. Defaults to 10, the Junos
    /// and OpenSSH default ceiling.
    channels_per_connection: usize = 10, parse_num(1);
    /// Sessions in use at once over the whole pool. Defaults to 1024.
    max_sessions_total: usize = 1024, parse_num(1);
    /// Bound on TCP connect, SSH banner and key exchange. Defaults to 10 s.
    connect_timeout: Duration = Duration::from_secs(10), parse_duration;
    /// Bound on SSH user authentication. Defaults to 10 s.
    auth_timeout: Duration = Duration::from_secs(10), parse_duration;
    /// Bound on opening a channel and exchanging NETCONF hellos. Defaults to 10 s.
    session_open_timeout: Duration = Duration::from_secs(10), parse_duration;
    /// Bound on waiting for a free session. Defaults to 30 s.
    checkout_timeout: Duration = Duration::from_secs(30), parse_duration;
    /// Bound on one RPC or command. Defaults to 60 s.
    rpc_timeout: Duration = Duration::from_secs(60), parse_duration;
    /// SSH keepalive interval (OpenSSH ServerAliveInterval). Defaults to 15 s.
    keepalive_interval: Option<Duration> = Some(Duration::from_secs(15)), parse_opt_duration;
    /// Unanswered keepalives before the connection is declared dead (ServerAliveCountMax).
    /// Defaults to 3.
    keepalive_count_max: usize = 3, parse_num(1);
    /// TCP keepalive idle time. Defaults to 30 s.
    tcp_keepalive: Option<Duration> = Some(Duration::from_secs(30)), parse_opt_duration;
    /// A session idle longer than this is health-checked at checkout. Defaults to 10 s.
    health_check_after: Duration = Duration::from_secs(10), parse_duration;
    /// Bound on that health check. Defaults to 2 s.
    health_check_timeout: Duration = Duration::from_secs(2), parse_duration;
    /// Idle sessions and connections are closed after this. Defaults to 5 min.
    idle_timeout: Option<Duration> = Some(Duration::from_secs(300)), parse_opt_duration;
    /// Sessions and connections are retired after this age. Defaults to 1 h.
    max_lifetime: Option<Duration> = Some(Duration::from_secs(3600)), parse_opt_duration;
    /// SSH connections kept open per device the pool has seen (prewarm). Defaults to 0.
    min_idle_connections: usize = 0, parse_num(0);
    /// Extra connect attempts after a retryable failure. Defaults to 2.
    connect_retries: u32 = 2, parse_num(0);
    /// First retry delay; doubles each time, with full jitter. Defaults to 100 ms.
    backoff_base: Duration = Duration::from_millis(100), parse_duration;
    /// Largest retry delay. Defaults to 2 s.
    backoff_max: Duration = Duration::from_secs(2), parse_duration;
    /// Consecutive failed connects that open the circuit breaker (0 disables). Defaults to 3.
    breaker_threshold: u32 = 3, parse_num(0);
    /// How long an open breaker fails calls fast before one probe. Defaults to 30 s.
    breaker_cooldown: Duration = Duration::from_secs(30), parse_duration;
    /// New connections per minute per device (Junos `rate-limit`). Defaults to none.
    connect_rate_per_minute: Option<u32> = None, parse_opt_num(1);
    /// A device with nothing in the pool (no connection, session, caller or open breaker)
    /// for this long is forgotten, its stats and metric series with it. Defaults to 10 min.
    forget_device_after: Duration = Duration::from_secs(600), parse_duration;
    /// Period of the maintenance task. Defaults to 1 s.
    maintenance_interval: Duration = Duration::from_secs(1), parse_duration;
    /// Largest NETCONF reply accepted. Defaults to 64 MiB.
    max_frame: usize = netconf_wire::DEFAULT_MAX_FRAME, parse_num(1024);
    /// Offer NETCONF base:1.1 (chunked framing). Defaults to true.
    netconf_1_1: bool = true, parse_bool;
}

fn bad(setting: &str, value: &str, reason: impl Into<String>) -> Error {
    Error::Config {
        setting: setting.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

/// Parse `250ms`, `5s`, `2m`, `1h` or a bare number of seconds.
pub fn parse_duration(setting: &str, v: &str) -> Result<Duration> {
    let t = v.trim();
    let (num, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, "s"),
    };
    let n: f64 = num.parse().map_err(|_| {
        bad(
            setting,
            v,
            "expected a duration such as 250ms, 5s, 2m or 1h",
        )
    })?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "sec" | "secs" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(bad(
                setting,
                v,
                format!("unknown unit {unit:?} (ms, s, m, h)"),
            ))
        }
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(bad(setting, v, "out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_opt_duration(setting: &str, v: &str) -> Result<Option<Duration>> {
    match v.trim() {
        "none" | "off" | "never" => Ok(None),
        _ => parse_duration(setting, v).map(Some),
    }
}

fn parse_num<T>(setting: &str, v: &str, min: T) -> Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let n: T = v
        .trim()
        .parse()
        .map_err(|_| bad(setting, v, "expected a whole number"))?;
    if n < min {
        return Err(bad(setting, v, format!("must be at least {min}")));
    }
    Ok(n)
}

fn parse_opt_num<T>(setting: &str, v: &str, min: T) -> Result<Option<T>>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match v.trim() {
        "none" | "off" => Ok(None),
        _ => parse_num(setting, v, min).map(Some),
    }
}

fn parse_bool(setting: &str, v: &str) -> Result<bool> {
    match v.trim() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(bad(setting, v, "expected true or false")),
    }
}

impl PoolConfig {
    /// Bound each step before a session's first request to `d`: the connect (TCP, SSH
    /// banner and key exchange), the authentication, and the session open (channel and
    /// NETCONF hellos). Sets `connect_timeout`, `auth_timeout` and `session_open_timeout`.
    pub fn set_handshake_timeout(&mut self, d: Duration) {
        self.connect_timeout = d;
        self.auth_timeout = d;
        self.session_open_timeout = d;
    }

    /// Set one setting from its text form. `setting` is the name used in errors (the TOML
    /// key or environment variable); `key` is the canonical name.
    pub fn set(&mut self, key: &str, value: &str, setting: &str) -> Result<()> {
        let v = value;
        if self.set_plain(key, v, setting)? {
            return Ok(());
        }
        match key {
            "host_key_policy" => {
                let path = match &self.host_key_policy {
                    HostKeyPolicy::KnownHosts(p) | HostKeyPolicy::AcceptNew(p) => p.clone(),
                    _ => None,
                };
                self.host_key_policy = match v.trim() {
                    "known-hosts" | "strict" => HostKeyPolicy::KnownHosts(path),
                    "accept-new" => HostKeyPolicy::AcceptNew(path),
                    "pinned" => HostKeyPolicy::Pinned(match &self.host_key_policy {
                        HostKeyPolicy::Pinned(f) => f.clone(),
                        _ => Vec::new(),
                    }),
                    "per-device" => HostKeyPolicy::PerDevice,
                    "insecure-accept-any" => HostKeyPolicy::InsecureAcceptAny,
                    _ => {
                        return Err(bad(
                            setting,
                            v,
                            "expected known-hosts, accept-new, pinned, per-device or insecure-accept-any",
                        ))
                    }
                }
            }
            "known_hosts_file" => {
                let p = Some(PathBuf::from(v.trim()));
                self.host_key_policy = match &self.host_key_policy {
                    HostKeyPolicy::AcceptNew(_) => HostKeyPolicy::AcceptNew(p),
                    _ => HostKeyPolicy::KnownHosts(p),
                }
            }
            "pinned_fingerprints" => {
                let fps: Vec<String> = v
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if let Some(badfp) = fps.iter().find(|f| !f.starts_with("SHA256:")) {
                    return Err(bad(
                        setting,
                        v,
                        format!("{badfp:?} is not a SHA256:... fingerprint"),
                    ));
                }
                self.host_key_policy = HostKeyPolicy::Pinned(fps);
            }
            _ => {
                // The value of an unknown variable is never echoed: it may be a secret
                // (a NETPOOL_PASSWORD someone expected the pool to read).
                return Err(bad(
                    setting,
                    "(not shown)",
                    format!("unknown setting; known: {}", SETTINGS.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Check every value and the relations between settings: the builder's setters take
    /// any value, so this is where a zero size or rate is refused, naming the setting.
    pub fn validate(&self) -> Result<()> {
        let d = |d: Duration| format!("{d:?}");
        for (name, v, min) in [
            (
                "max_connections_per_device",
                self.max_connections_per_device,
                1,
            ),
            ("channels_per_connection", self.channels_per_connection, 1),
            ("max_sessions_total", self.max_sessions_total, 1),
            ("keepalive_count_max", self.keepalive_count_max, 1),
            ("max_frame", self.max_frame, 1024),
        ] {
            if v < min {
                return Err(bad(name, &v.to_string(), format!("must be at least {min}")));
            }
        }
        if self.connect_rate_per_minute == Some(0) {
            return Err(bad(
                "connect_rate_per_minute",
                "0",
                "must be at least 1 (none for no limit)",
            ));
        }
        for (name, v) in [
            ("auth_timeout", self.auth_timeout),
            ("session_open_timeout", self.session_open_timeout),
            ("health_check_timeout", self.health_check_timeout),
        ] {
            if v.is_zero() {
                return Err(bad(name, &d(v), "must be above zero"));
            }
        }
        if self.connect_timeout.is_zero() {
            return Err(bad(
                "connect_timeout",
                &d(self.connect_timeout),
                "must be above zero",
            ));
        }
        if self.rpc_timeout.is_zero() {
            return Err(bad(
                "rpc_timeout",
                &d(self.rpc_timeout),
                "must be above zero",
            ));
        }
        if self.checkout_timeout.is_zero() {
            return Err(bad(
                "checkout_timeout",
                &d(self.checkout_timeout),
                "must be above zero",
            ));
        }
        if self.backoff_max < self.backoff_base {
            return Err(bad(
                "backoff_max",
                &d(self.backoff_max),
                format!("must be at least backoff_base ({:?})", self.backoff_base),
            ));
        }
        if self.keepalive_interval.is_some_and(|k| k.is_zero()) {
            return Err(bad("keepalive_interval", "0", "use none to disable"));
        }
        if self.maintenance_interval.is_zero() {
            return Err(bad("maintenance_interval", "0", "must be above zero"));
        }
        if let HostKeyPolicy::Pinned(f) = &self.host_key_policy {
            if f.is_empty() {
                return Err(bad(
                    "pinned_fingerprints",
                    "",
                    "host_key_policy = pinned needs at least one fingerprint",
                ));
            }
        }
        Ok(())
    }

    /// Read settings from TOML text (every key optional, unknown keys refused).
    pub fn from_toml(text: &str) -> Result<PoolConfig> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad("toml", "", e.to_string()))?;
        let mut cfg = PoolConfig::default();
        // host_key_policy first, so that file/fingerprints refine it whatever the order.
        let mut keys: Vec<&String> = table.keys().collect();
        keys.sort_by_key(|k| {
            (
                k.as_str() != "host_key_policy",
                k.as_str() == "pinned_fingerprints",
            )
        });
        for k in keys {
            let v = &table[k];
            let text = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(a) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| bad(k, &x.to_string(), "expected strings"))
                    })
                    .collect::<Result<Vec<_>>>()?
                    .join(","),
                other => return Err(bad(k, &other.to_string(), "unsupported value type")),
            };
            cfg.set(k, &text, k)?;
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Read `NETPOOL_*` environment variables over the defaults. A `NETPOOL_` variable that
    /// names no setting is an error, so that typos are caught.
    pub fn from_env() -> Result<PoolConfig> {
        Self::from_vars(std::env::vars())
    }

    /// Like [`PoolConfig::from_env`], from given pairs (for tests and wrappers).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<PoolConfig> {
        let mut cfg = PoolConfig::default();
        let mut vars: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with("NETPOOL_"))
            .collect();
        vars.sort_by_key(|(k, _)| {
            (
                k != "NETPOOL_HOST_KEY_POLICY",
                k == "NETPOOL_PINNED_FINGERPRINTS",
            )
        });
        for (k, v) in vars {
            let key = k.trim_start_matches("NETPOOL_").to_ascii_lowercase();
            cfg.set(&key, &v, &k)?;
        }
        cfg.validate()?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_sets_values_and_names_bad_ones() {
        let cfg = PoolConfig::from_toml(
            "max_connections_per_device = 4\ncheckout_timeout = \"250ms\"\nidle_timeout = \"none\"\nhost_key_policy = \"pinned\"\npinned_fingerprints = [\"SHA256:abc\"]\n",
        )
        .unwrap();
        assert_eq!(cfg.max_connections_per_device, 4);
        assert_eq!(cfg.checkout_timeout, Duration::from_millis(250));
        assert_eq!(cfg.idle_timeout, None);
        assert_eq!(
            cfg.host_key_policy,
            HostKeyPolicy::Pinned(vec!["SHA256:abc".into()])
        );

        for (toml, wanted) in [
            (
                "checkout_timeout = \"5 parsecs\"",
                &["checkout_timeout", "5 parsecs"][..],
            ),
            (
                "max_conections_per_device = 3",
                &["max_conections_per_device", "unknown setting"],
            ),
            ("channels_per_connection = 0", &["at least 1"]),
        ] {
            let e = PoolConfig::from_toml(toml).unwrap_err().to_string();
            assert!(wanted.iter().all(|w| e.contains(w)), "{toml}: {e}");
        }
    }

    #[test]
    fn env_errors_name_the_variable() {
        let vars = |k: &str, v: &str| {
            vec![
                (k.to_string(), v.to_string()),
                ("PATH".into(), "/bin".into()),
            ]
        };
        let cfg = PoolConfig::from_vars(vars("NETPOOL_RPC_TIMEOUT", "2m")).unwrap();
        assert_eq!(cfg.rpc_timeout, Duration::from_secs(120));
        let e = PoolConfig::from_vars(vars("NETPOOL_RPC_TIMEOUT", "soon"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("NETPOOL_RPC_TIMEOUT") && e.contains("soon"),
            "{e}"
        );
        let e = PoolConfig::from_vars(vars("NETPOOL_MAX_CONECTIONS", "2"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("NETPOOL_MAX_CONECTIONS"), "{e}");
        let e = PoolConfig::from_vars(vars("NETPOOL_PASSWORD", "hunter2"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("NETPOOL_PASSWORD") && !e.contains("hunter2"),
            "{e}"
        );
        let e = PoolConfig::from_vars(vars("NETPOOL_PINNED_FINGERPRINTS", "md5:xx"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a SHA256"), "{e}");
    }

    #[test]
    fn builder_values_are_validated_too() {
        // The builder's setters take any value: validate() is where zeros are refused.
        let b = || crate::PoolBuilder::default();
        let cases = [
            (
                "max_connections_per_device",
                b().max_connections_per_device(0),
            ),
            ("channels_per_connection", b().channels_per_connection(0)),
            ("max_sessions_total", b().max_sessions_total(0)),
            (
                "connect_rate_per_minute",
                b().connect_rate_per_minute(Some(0)),
            ),
            ("keepalive_count_max", b().keepalive_count_max(0)),
            ("max_frame", b().max_frame(10)),
            ("auth_timeout", b().auth_timeout(Duration::ZERO)),
        ];
        for (name, builder) in cases {
            let e = builder.config.validate().unwrap_err().to_string();
            assert!(e.contains(name), "{name}: {e}");
        }
        PoolConfig::default().validate().unwrap();
    }

    #[test]
    fn the_handshake_timeout_bounds_each_step_before_the_first_request() {
        let d = Duration::from_millis(750);
        let cfg = crate::PoolBuilder::default().handshake_timeout(d).config;
        let steps = [
            cfg.connect_timeout,
            cfg.auth_timeout,
            cfg.session_open_timeout,
        ];
        assert_eq!(steps, [d; 3]);
        let default = PoolConfig::default();
        assert_eq!(
            cfg.rpc_timeout, default.rpc_timeout,
            "the RPC is not a step"
        );
        assert_eq!(cfg.checkout_timeout, default.checkout_timeout);
    }
}
