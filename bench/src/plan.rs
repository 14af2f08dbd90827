//! What a bench run measures and how one timed pass is taken: the modes, the transports,
//! the targets and options, a mode's result, and [`concurrent_pass`]. The runner and the
//! peers (`gate`, `limit`, `peers`) build on these; none of them is needed here.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use junos_sim::Timing;
use netpool::{Device, PoolConfig};
use serde::Serialize;

use crate::workload::Workload;

/// How sessions are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A new SSH/NETCONF session for every command, sequentially, as scripts do today.
    PerCall,
    /// One session per router behind a per-router lock (the published Python pool's
    /// design), all operations issued at once; built on netpool with one connection and
    /// one channel per device.
    OnePerDevice,
    /// netpool, operations one after the other.
    PooledSeq,
    /// netpool, operations concurrently (capped by the workload's concurrency).
    PooledPar,
    /// The peer for the CLI path: OpenSSH's `ssh` with ControlMaster/ControlPersist (one
    /// multiplexed master connection per router), operations concurrently. CLI only.
    OpensshMux,
    /// The peer for the NETCONF path: rustnetconf's `DevicePool` (a global semaphore and
    /// an idle list per device, one SSH connection per session), operations concurrently.
    RustnetconfPool,
}

impl Mode {
    /// The CLI/JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::PerCall => "per-call",
            Mode::OnePerDevice => "one-per-device",
            Mode::PooledSeq => "pooled-seq",
            Mode::PooledPar => "pooled-par",
            Mode::OpensshMux => "openssh-mux",
            Mode::RustnetconfPool => "rustnetconf-pool",
        }
    }

    /// Parse a CLI/JSON name.
    pub fn parse(s: &str) -> Option<Mode> {
        [
            Mode::PerCall,
            Mode::OnePerDevice,
            Mode::PooledSeq,
            Mode::PooledPar,
            Mode::OpensshMux,
            Mode::RustnetconfPool,
        ]
        .into_iter()
        .find(|m| m.name() == s)
    }
}

/// Which protocol carries the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// The NETCONF `command` RPC on a NETCONF session.
    Netconf,
    /// An SSH exec channel.
    Cli,
}

impl Transport {
    /// The CLI/JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Netconf => "netconf",
            Transport::Cli => "cli",
        }
    }
}

/// A device to benchmark, with the simulator's handle when it is simulated (for counters).
#[derive(Clone, Debug)]
pub struct Target {
    /// The name people know the device by (an inventory's `name`, a router's hostname).
    pub name: String,
    /// The pool's view.
    pub device: Device,
    /// The simulator's view, when simulated.
    pub sim: Option<junos_sim::Router>,
}

/// Everything a run needs.
#[derive(Clone)]
pub struct BenchOptions {
    /// Pool settings (host keys, timeouts). Modes adjust their own limits.
    pub pool: PoolConfig,
    /// The devices' timing profile, when known (for the model's limit).
    pub timing: Option<Timing>,
    /// Timed passes per mode (the first, untimed warm-up pass is extra for pooled modes).
    pub repeat: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// Network round trip added between client and devices (the `wan` profile), for the
    /// model's limit.
    pub rtt: Duration,
    /// Private key accepted by the devices, for the `openssh-mux` peer.
    pub ssh_key: Option<std::path::PathBuf>,
    /// The devices' password, for the `rustnetconf-pool` peer (which cannot read it from
    /// a netpool `Device`).
    pub peer_password: Option<String>,
}

impl std::fmt::Debug for BenchOptions {
    // The peer password is a secret: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchOptions")
            .field("pool", &self.pool)
            .field("timing", &self.timing)
            .field("repeat", &self.repeat)
            .field("progress", &self.progress)
            .field("rtt", &self.rtt)
            .field("ssh_key", &self.ssh_key)
            .field("peer_password", &self.peer_password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// One mode's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ModeResult {
    /// Mode name (`per-call`, ...).
    pub mode: String,
    /// `netconf` or `cli`.
    pub transport: String,
    /// Operations per timed pass.
    pub ops: usize,
    /// Median total seconds over the timed passes.
    pub total_s: f64,
    /// Fastest and slowest pass, seconds.
    pub total_spread_s: [f64; 2],
    /// Operations per second (median pass).
    pub throughput: f64,
    /// Per-operation latency percentiles over all timed passes, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Maximum.
    pub max_ms: f64,
    /// New SSH connections during the mode (warm-up included), counted by the devices
    /// (simulator) or by the pool (real devices).
    pub connections_opened: u64,
    /// Where `connections_opened` comes from: `device` (counted by the devices), `pool`
    /// (counted by netpool), `assumed` or `unknown` (a peer on real devices).
    pub connections_source: &'static str,
    /// Failed operations.
    pub errors: u64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
    /// Failed operations by device name (devices without failures left out).
    pub device_errors: BTreeMap<String, u64>,
    /// The model's lower bound for a pass, seconds (device service and setup times).
    pub limit_s: Option<f64>,
    /// limit / measured (1.0 = at the limit).
    pub efficiency: Option<f64>,
    /// Event-loop probe (10 ms ticker on the same runtime): p99 lateness, milliseconds.
    pub probe_p99_ms: f64,
    /// Latency samples of the median pass, milliseconds (for charts).
    #[serde(skip)]
    pub samples_ms: Vec<f64>,
}

/// Run the workload's operations with its concurrency, timing each and ticking `bar`.
pub(crate) async fn concurrent_pass<'a, F, Fut>(w: &'a Workload, bar: &ProgressBar, op: F) -> Pass
where
    F: Fn(&'a crate::workload::Op) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>> + 'a,
{
    use futures::StreamExt;
    let start = Instant::now();
    let results: Vec<(Duration, Result<(), String>)> =
        futures::stream::iter(w.ops.iter().map(|o| {
            let (fut, bar) = (op(o), bar.clone());
            async move {
                let t = Instant::now();
                let r = fut.await;
                bar.inc(1);
                (t.elapsed(), r)
            }
        }))
        .buffer_unordered(w.concurrency)
        .collect()
        .await;
    Pass::of(start, results)
}

pub(crate) struct Pass {
    pub(crate) total: Duration,
    pub(crate) lat_ms: Vec<f64>,
    pub(crate) errors: Vec<String>,
    /// The target of each failed operation, when known.
    pub(crate) failed: Vec<usize>,
}

impl Pass {
    /// A pass that began at `start`, from each operation's time and outcome.
    fn of(start: Instant, results: Vec<(Duration, Result<(), String>)>) -> Pass {
        Pass {
            total: start.elapsed(),
            lat_ms: results.iter().map(|(d, _)| d.as_secs_f64() * 1e3).collect(),
            errors: results.into_iter().filter_map(|(_, r)| r.err()).collect(),
            failed: Vec::new(),
        }
    }

    pub(crate) fn of_targets(
        start: Instant,
        results: Vec<(usize, Duration, Result<(), String>)>,
    ) -> Pass {
        let mut p = Pass {
            total: start.elapsed(),
            lat_ms: Vec::with_capacity(results.len()),
            errors: Vec::new(),
            failed: Vec::new(),
        };
        for (i, d, r) in results {
            p.lat_ms.push(d.as_secs_f64() * 1e3);
            if let Err(e) = r {
                p.errors.push(e);
                p.failed.push(i);
            }
        }
        p
    }
}
