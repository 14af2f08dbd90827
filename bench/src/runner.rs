//! Runs a workload in each mode against the same devices, in one process, one mode after
//! the other, and measures each the same way.

use netchaos::probe::{percentile, sort, Probe};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use junos_sim::commands::CommandLine;
use junos_sim::Timing;
use netpool::{Device, Pool, PoolConfig};
use serde::Serialize;

use crate::peers::{rustnetconf_passes, ssh_args, ssh_op, ssh_pass};
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
    /// The pool's view.
    pub device: Device,
    /// The simulator's view, when simulated.
    pub sim: Option<junos_sim::Device>,
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
    /// Where `connections_opened` comes from: `device` or `pool`.
    pub connections_source: &'static str,
    /// Failed operations.
    pub errors: u64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
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

async fn one_op(
    pool: &Pool,
    device: &Device,
    transport: Transport,
    command: &str,
) -> Result<(), String> {
    match transport {
        Transport::Netconf => {
            let mut nc = pool.netconf(device).await.map_err(|e| e.to_string())?;
            let out = nc.command(command).await.map_err(|e| e.to_string())?;
            if out.trim().is_empty() {
                return Err(format!("{device}: empty output for {command:?}"));
            }
        }
        Transport::Cli => {
            let out = pool.cli(device, command).await.map_err(|e| e.to_string())?;
            if !out.success() || out.stdout.trim().is_empty() {
                return Err(format!(
                    "{device}: {command:?} failed: {}",
                    out.stderr.trim()
                ));
            }
        }
    }
    Ok(())
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
    total: Duration,
    lat_ms: Vec<f64>,
    pub(crate) errors: Vec<String>,
}

impl Pass {
    /// A pass that began at `start`, from each operation's time and outcome.
    fn of(start: Instant, results: Vec<(Duration, Result<(), String>)>) -> Pass {
        Pass {
            total: start.elapsed(),
            lat_ms: results.iter().map(|(d, _)| d.as_secs_f64() * 1e3).collect(),
            errors: results.into_iter().filter_map(|(_, r)| r.err()).collect(),
        }
    }
}

async fn run_pass(
    pool: &Pool,
    targets: &[Target],
    w: &Workload,
    transport: Transport,
    parallel: bool,
    bar: &ProgressBar,
) -> Pass {
    let start = Instant::now();
    let run = |op: &crate::workload::Op| {
        let (pool, dev, cmd, bar) = (
            pool.clone(),
            targets[op.target].device.clone(),
            op.command.clone(),
            bar.clone(),
        );
        async move {
            let t = Instant::now();
            let r = one_op(&pool, &dev, transport, &cmd).await;
            bar.inc(1);
            (t.elapsed(), r)
        }
    };
    let results: Vec<(Duration, Result<(), String>)> = if parallel {
        use futures::StreamExt;
        futures::stream::iter(w.ops.iter().map(|op| tokio::spawn(run(op))))
            .buffer_unordered(w.concurrency)
            .map(|r| r.unwrap_or_else(|e| (Duration::ZERO, Err(format!("task failed: {e}")))))
            .collect()
            .await
    } else {
        let mut v = Vec::with_capacity(w.ops.len());
        for op in &w.ops {
            v.push(run(op).await);
        }
        v
    };
    Pass::of(start, results)
}

async fn per_call_pass(
    cfg: &PoolConfig,
    targets: &[Target],
    w: &Workload,
    transport: Transport,
    bar: &ProgressBar,
) -> Pass {
    let start = Instant::now();
    let mut lat_ms = Vec::new();
    let mut errors = Vec::new();
    for op in &w.ops {
        let t = Instant::now();
        let r = async {
            let pool = Pool::builder()
                .config(cfg.clone())
                .max_connections_per_device(1)
                .build()
                .map_err(|e| e.to_string())?;
            let r = one_op(&pool, &targets[op.target].device, transport, &op.command).await;
            pool.shutdown(Duration::ZERO).await;
            r
        }
        .await;
        lat_ms.push(t.elapsed().as_secs_f64() * 1e3);
        bar.inc(1);
        if let Err(e) = r {
            errors.push(e);
        }
    }
    Pass {
        total: start.elapsed(),
        lat_ms,
        errors,
    }
}

/// The model's lower bound on one pass: what the device's own setup and service times
/// allow, with loopback round trips taken as zero.
///
/// With a network round trip `rtt`: a pooled operation costs one round trip more; a
/// per-call operation about six (TCP handshake, key exchange, authentication, channel open,
/// hello, then the RPC; a lower bound, since the key exchange alone can take two).
fn limit(
    mode: Mode,
    transport: Transport,
    timing: &Timing,
    targets: usize,
    w: &Workload,
    rtt: f64,
) -> f64 {
    let service = |cmd: &str| {
        let show = CommandLine::parse(cmd).ok().map(|c| c.show);
        timing.service_time(show.as_ref()).as_secs_f64()
    };
    let per_op_extra = rtt
        + match transport {
            Transport::Netconf => 0.0,
            Transport::Cli => timing.exec_spawn.as_secs_f64(),
        };
    let setup = 5.0 * rtt
        + timing.auth_delay.as_secs_f64()
        + match transport {
            Transport::Netconf => timing.session_spawn.as_secs_f64(),
            Transport::Cli => 0.0,
        };
    // Per device: the routing engine's service times (queued on its concurrency), and the
    // per-operation extras that run in parallel (round trip, exec process spawn).
    let per_device: Vec<Vec<f64>> = (0..targets)
        .map(|t| {
            w.ops
                .iter()
                .filter(|o| o.target == t)
                .map(|o| service(&o.command))
                .collect()
        })
        .collect();
    let c = timing.concurrency.max(1) as f64;
    match mode {
        Mode::PerCall => w
            .ops
            .iter()
            .map(|o| setup + service(&o.command) + per_op_extra)
            .sum(),
        Mode::PooledSeq => w
            .ops
            .iter()
            .map(|o| service(&o.command) + per_op_extra)
            .sum(),
        Mode::OnePerDevice => per_device
            .iter()
            .map(|v| v.iter().map(|s| s + per_op_extra).sum::<f64>())
            .fold(0.0, f64::max),
        Mode::PooledPar | Mode::OpensshMux | Mode::RustnetconfPool => per_device
            .iter()
            .map(|v| {
                per_op_extra
                    + v.iter()
                        .cloned()
                        .fold(0.0, f64::max)
                        .max(v.iter().sum::<f64>() / c)
            })
            .fold(0.0, f64::max),
    }
}

fn connections(targets: &[Target]) -> Option<u64> {
    let mut sum = 0;
    for t in targets {
        sum += t.sim.as_ref()?.counters().tcp_accepts;
    }
    Some(sum)
}

/// Run one mode: a warm-up pass for pooled modes, then `repeat` timed passes.
pub async fn run_mode(
    opts: &BenchOptions,
    targets: &[Target],
    w: &Workload,
    mode: Mode,
    transport: Transport,
    bar: &ProgressBar,
) -> ModeResult {
    let before = connections(targets);
    let probe = Probe::start();
    let mut passes = Vec::new();
    let pool_connects;
    match mode {
        Mode::RustnetconfPool => {
            passes = rustnetconf_passes(opts, targets, w, bar).await;
            pool_connects = 0;
        }
        Mode::OpensshMux => {
            let key = opts.ssh_key.clone().unwrap_or_default();
            let dir = std::env::temp_dir().join(format!("netlab-mux-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            // One master per router first (as ControlPersist users have), then the passes.
            for t in targets {
                let _ = ssh_op(&key, &dir, &t.device, "show version").await;
            }
            let warm = ssh_pass(&key, &dir, targets, w, bar).await;
            if warm.errors.is_empty() {
                for _ in 0..opts.repeat.max(1) {
                    passes.push(ssh_pass(&key, &dir, targets, w, bar).await);
                }
            } else {
                passes.push(warm);
            }
            for t in targets {
                let _ = tokio::process::Command::new("ssh")
                    .args(ssh_args(&key, &dir, &t.device))
                    .args(["-O", "exit"])
                    .arg(format!("{}@{}", t.device.user(), t.device.host()))
                    .output()
                    .await;
            }
            let _ = std::fs::remove_dir_all(&dir);
            pool_connects = targets.len() as u64;
        }
        Mode::PerCall => {
            for _ in 0..opts.repeat.max(1) {
                passes.push(per_call_pass(&opts.pool, targets, w, transport, bar).await);
            }
            pool_connects = (w.ops.len() * opts.repeat.max(1)) as u64;
        }
        _ => {
            let mut builder = Pool::builder().config(opts.pool.clone());
            if mode == Mode::OnePerDevice {
                builder = builder
                    .max_connections_per_device(1)
                    .channels_per_connection(1);
            }
            let pool = builder.build().expect("valid pool settings");
            let parallel = matches!(mode, Mode::PooledPar | Mode::OnePerDevice);
            let warm = run_pass(&pool, targets, w, transport, parallel, bar).await;
            if warm.errors.is_empty() {
                for _ in 0..opts.repeat.max(1) {
                    passes.push(run_pass(&pool, targets, w, transport, parallel, bar).await);
                }
            } else {
                passes.push(warm);
            }
            pool_connects = pool.stats().iter().map(|s| s.connects).sum();
            pool.shutdown(Duration::from_secs(5)).await;
        }
    }
    let probe_p99_ms = probe.p99().await;
    let after = connections(targets);
    let (connections_opened, connections_source) = match (before, after) {
        (Some(b), Some(a)) => (a - b, "device"),
        _ => (pool_connects, "pool"),
    };
    let mut totals: Vec<f64> = passes.iter().map(|p| p.total.as_secs_f64()).collect();
    sort(&mut totals);
    let median_total = percentile(&totals, 0.5);
    let median_pass = passes
        .iter()
        .min_by(|a, b| {
            (a.total.as_secs_f64() - median_total)
                .abs()
                .total_cmp(&(b.total.as_secs_f64() - median_total).abs())
        })
        .expect("at least one pass");
    let mut all: Vec<f64> = passes
        .iter()
        .flat_map(|p| p.lat_ms.iter().cloned())
        .collect();
    sort(&mut all);
    let errors: Vec<&String> = passes.iter().flat_map(|p| p.errors.iter()).collect();
    let limit_s = opts
        .timing
        .as_ref()
        .map(|t| limit(mode, transport, t, targets.len(), w, opts.rtt.as_secs_f64()))
        .filter(|l| *l > 0.0);
    ModeResult {
        mode: mode.name().into(),
        transport: transport.name().into(),
        ops: w.ops.len(),
        total_s: median_total,
        total_spread_s: [totals[0], totals[totals.len() - 1]],
        throughput: if median_total > 0.0 {
            w.ops.len() as f64 / median_total
        } else {
            0.0
        },
        p50_ms: percentile(&all, 0.5),
        p90_ms: percentile(&all, 0.9),
        p99_ms: percentile(&all, 0.99),
        max_ms: all.last().copied().unwrap_or(0.0),
        connections_opened,
        connections_source,
        errors: errors.len() as u64,
        first_error: errors.first().map(|e| e.to_string()),
        limit_s,
        efficiency: limit_s.map(|l| l / median_total),
        probe_p99_ms,
        samples_ms: median_pass.lat_ms.clone(),
    }
}

/// Whether a mode runs on a transport: the peers have one transport each and need
/// credentials the runner may not have.
fn runs(m: Mode, t: Transport, opts: &BenchOptions) -> bool {
    match m {
        Mode::OpensshMux => t == Transport::Cli && opts.ssh_key.is_some(),
        Mode::RustnetconfPool => t == Transport::Netconf && opts.peer_password.is_some(),
        _ => true,
    }
}

/// Run every (transport, mode) pair in order, sharing one progress bar.
pub async fn run(
    opts: &BenchOptions,
    targets: &[Target],
    w: &Workload,
    modes: &[Mode],
    transports: &[Transport],
) -> Vec<ModeResult> {
    let per_mode = |m: Mode| {
        if m == Mode::PerCall {
            opts.repeat.max(1)
        } else {
            opts.repeat.max(1) + 1
        }
    };
    let total: usize = transports
        .iter()
        .flat_map(|t| modes.iter().filter(move |m| runs(**m, *t, opts)))
        .map(|m| per_mode(*m) * w.ops.len())
        .sum();
    let bar = if opts.progress {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg:<22} [{bar:30}] {pos}/{len} ops, {elapsed}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let mut out = Vec::new();
    for t in transports {
        for m in modes {
            if !runs(*m, *t, opts) {
                continue; // peers run on their own transport only, with their credentials
            }
            bar.set_message(format!("{} {}", t.name(), m.name()));
            out.push(run_mode(opts, targets, w, *m, *t, &bar).await);
        }
    }
    bar.finish_and_clear();
    out
}
