//! Realism profiles: how long a simulated device takes to do things.
//!
//! ## Calibration of `vmx` (sources, not wishes)
//! - junos-mcp-server issue 3, a Junos vMX log: TCP connect to authenticated ~0.34 s;
//!   authenticated to first RPC sent ~0.34 s more (mgd spawns a NETCONF server process per
//!   session). Design target from the issue: ~0.6 s from TCP connect to a ready NETCONF session.
//!   Here: `auth_delay` 0.30 s + `session_spawn` 0.30 s = 0.60 s.
//! - junos-mcp-server PR 27's benchmark: per-call 0.70 s an operation (connect, one `cli`,
//!   close) and pooled sequential 0.114 s an operation including an HTTP round trip of the
//!   tool server, so the device's own command time is a little under 0.11 s. The seed
//!   workload's seven commands get service times that average 0.1086 s (sum 0.760 s), with
//!   `extensive` and forwarding-table slower than `show ospf neighbor`:
//!   per-call = 0.60 + 0.109 = 0.709 s (target 0.70 s), pooled = 0.109 s (target 0.11 s).
//! - Concurrency: each NETCONF session is its own process; the routing engine runs a few at
//!   once (`concurrency`, 4 by default) and queues the rest.
//! - Exec channels (`ssh router 'show version'`): Junos runs the command in a CLI process
//!   too. No published figure was found; `exec_spawn` = 0.30 s (same as a NETCONF process)
//!   is an assumption, stated here and in the README.

use std::time::Duration;

use crate::commands::Show;

/// The seven commands of the design's seed workload, each with `| no-more`: the workload
/// the `vmx` service times are calibrated on.
pub const SEED_COMMANDS: [&str; 7] = [
    "show ospf interface | no-more",
    "show ospf database | no-more",
    "show ospf neighbor | no-more",
    "show route 10.0.14.0 | no-more",
    "show chassis hardware | no-more",
    "show route 10.0.15.0 extensive | no-more",
    "show route forwarding-table all destination 10.0.15.0 | no-more",
];

/// Timing knobs of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Delay before a successful authentication is accepted.
    pub auth_delay: Duration,
    /// Delay before a NETCONF session sends its hello (server process spawn).
    pub session_spawn: Duration,
    /// Delay before an exec channel runs its command.
    pub exec_spawn: Duration,
    /// Scale applied to the per-command service times (0 = instant).
    pub command_scale: f64,
    /// How many commands the routing engine serves at once.
    pub concurrency: usize,
}

impl Timing {
    /// No artificial delay: measures software cost only.
    pub fn instant() -> Self {
        Self {
            auth_delay: Duration::ZERO,
            session_spawn: Duration::ZERO,
            exec_spawn: Duration::ZERO,
            command_scale: 0.0,
            concurrency: 64,
        }
    }

    /// Calibrated to published vMX figures (see the module docs).
    pub fn vmx() -> Self {
        Self {
            auth_delay: Duration::from_millis(300),
            session_spawn: Duration::from_millis(300),
            exec_spawn: Duration::from_millis(300),
            command_scale: 1.0,
            concurrency: 4,
        }
    }

    /// A profile by name: `instant` or `vmx`.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "instant" => Some(Self::instant()),
            "vmx" => Some(Self::vmx()),
            _ => None,
        }
    }

    /// How long the routing engine works on a command.
    pub fn service_time(&self, show: Option<&Show>) -> Duration {
        if self.command_scale <= 0.0 {
            return Duration::ZERO;
        }
        let ms = show.map_or(30, Show::service_ms); // 30 ms: configuration RPCs, lock, unlock
        Duration::from_secs_f64(ms as f64 / 1000.0 * self.command_scale)
    }
}
