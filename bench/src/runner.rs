//! Runs a workload in each mode against the same devices, in one process, one mode after
//! the other, and measures each the same way.

use netchaos::probe::{percentile, sort, Probe};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use netpool::{Pool, PoolConfig};

use crate::gate::{gated_op, one_op, say, Gate, OpError};
use crate::limit::limit;
use crate::peers::{rustnetconf_passes, ssh_args, ssh_op, ssh_pass};
use crate::plan::Pass;
pub use crate::plan::{BenchOptions, Mode, ModeResult, Target, Transport};
use crate::workload::Workload;

/// What every pass of a run shares: the devices, the progress bar, the gate.
#[derive(Clone, Copy)]
pub struct RunCtx<'a> {
    /// The workload.
    pub w: &'a Workload,
    /// The transport of this mode.
    pub transport: Transport,
    /// The devices.
    pub targets: &'a Arc<[Target]>,
    /// Progress.
    pub bar: &'a ProgressBar,
    /// Devices found down.
    pub gate: &'a Arc<Gate>,
}

async fn run_pass(pool: &Pool, ctx: RunCtx<'_>, parallel: bool) -> Pass {
    let RunCtx {
        w,
        transport,
        targets,
        bar,
        gate,
    } = ctx;
    let start = Instant::now();
    let run = |op: &crate::workload::Op| {
        let (pool, targets, gate, cmd, bar, i) = (
            pool.clone(),
            targets.clone(),
            gate.clone(),
            op.command.clone(),
            bar.clone(),
            op.target,
        );
        async move {
            let t = Instant::now();
            let r = gated_op(&gate, &pool, &targets, i, transport, &cmd, &bar).await;
            bar.inc(1);
            (i, t.elapsed(), r.map_err(|e| e.to_string()))
        }
    };
    let results: Vec<(usize, Duration, Result<(), String>)> = if parallel {
        use futures::StreamExt;
        futures::stream::iter(w.ops.iter().map(|op| (op.target, tokio::spawn(run(op)))))
            .map(|(i, h)| async move {
                h.await
                    .unwrap_or_else(|e| (i, Duration::ZERO, Err(format!("task failed: {e}"))))
            })
            .buffer_unordered(w.concurrency)
            .collect()
            .await
    } else {
        let mut v = Vec::with_capacity(w.ops.len());
        for op in &w.ops {
            v.push(run(op).await);
        }
        v
    };
    Pass::of_targets(start, results)
}

/// A new pool (so a new SSH connection and session) for every operation, as scripts do
/// today. Returns the pass and the connections the pools opened (counted, not assumed).
async fn per_call_pass(
    cfg: &PoolConfig,
    targets: &[Target],
    w: &Workload,
    transport: Transport,
    bar: &ProgressBar,
    gate: &Gate,
) -> (Pass, u64) {
    let start = Instant::now();
    let mut results = Vec::with_capacity(w.ops.len());
    let mut connects = 0;
    for op in &w.ops {
        let t = Instant::now();
        let target = &targets[op.target];
        let r = match gate.admit(op.target, &target.name) {
            Err(e) => Err(e),
            Ok(()) => {
                let pool = Pool::builder()
                    .config(cfg.clone())
                    .max_connections_per_device(1)
                    .build()
                    .map_err(OpError::Pool);
                match pool {
                    Err(e) => Err(e),
                    Ok(pool) => {
                        let r = one_op(&pool, &target.device, transport, &op.command).await;
                        connects += pool.stats().iter().map(|s| s.connects).sum::<u64>();
                        pool.shutdown(Duration::ZERO).await;
                        if let Some(msg) = gate.record(op.target, &target.name, &r) {
                            say(bar, msg);
                        }
                        r
                    }
                }
            }
        };
        bar.inc(1);
        results.push((op.target, t.elapsed(), r.map_err(|e| e.to_string())));
    }
    (Pass::of_targets(start, results), connects)
}

fn connections(targets: &[Target]) -> Option<u64> {
    let mut sum = 0;
    for t in targets {
        sum += t.sim.as_ref()?.counters().tcp_accepts;
    }
    Some(sum)
}

/// Run one mode: a warm-up pass for pooled modes, then `repeat` timed passes.
pub async fn run_mode(opts: &BenchOptions, ctx: RunCtx<'_>, mode: Mode) -> ModeResult {
    let (w, transport) = (ctx.w, ctx.transport);
    let (targets, bar, gate) = (ctx.targets, ctx.bar, ctx.gate);
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
            for t in targets.iter() {
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
            for t in targets.iter() {
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
            let mut connects = 0;
            for _ in 0..opts.repeat.max(1) {
                let (pass, n) = per_call_pass(&opts.pool, targets, w, transport, bar, gate).await;
                passes.push(pass);
                connects += n;
            }
            pool_connects = connects;
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
            let warm = run_pass(&pool, ctx, parallel).await;
            if warm.errors.is_empty() {
                for _ in 0..opts.repeat.max(1) {
                    passes.push(run_pass(&pool, ctx, parallel).await);
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
    // Counted by the devices when they can tell (the simulator); by netpool's own stats
    // for netpool's modes; for the peers on real devices nobody counts: `assumed` (one
    // ControlMaster per router) or `unknown` (rustnetconf keeps no count).
    let (connections_opened, connections_source) = match (before, after, mode) {
        (Some(b), Some(a), _) => (a - b, "device"),
        (_, _, Mode::OpensshMux) => (pool_connects, "assumed"),
        (_, _, Mode::RustnetconfPool) => (0, "unknown"),
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
        device_errors: {
            let mut m = BTreeMap::new();
            for i in passes.iter().flat_map(|p| p.failed.iter()) {
                *m.entry(targets[*i].name.clone()).or_insert(0) += 1;
            }
            m
        },
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
    let sink = std::sync::Mutex::new(Vec::new());
    run_into(opts, targets, w, modes, transports, &sink).await;
    sink.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// [`run`], pushing each mode's result into `sink` as soon as it is measured, so that a
/// caller interrupted part way (Ctrl-C) can still print what was measured. Devices found
/// down are shared by every mode (see [`Gate`]).
pub async fn run_into(
    opts: &BenchOptions,
    targets: &[Target],
    w: &Workload,
    modes: &[Mode],
    transports: &[Transport],
    sink: &std::sync::Mutex<Vec<ModeResult>>,
) {
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
    let targets: Arc<[Target]> = targets.into();
    let gate = Arc::new(Gate::new(opts.pool.breaker_cooldown));
    for t in transports {
        for m in modes {
            if !runs(*m, *t, opts) {
                continue; // peers run on their own transport only, with their credentials
            }
            bar.set_message(format!("{} {}", t.name(), m.name()));
            let ctx = RunCtx {
                w,
                transport: *t,
                targets: &targets,
                bar: &bar,
                gate: &gate,
            };
            let r = run_mode(opts, ctx, *m).await;
            if opts.progress {
                say(
                    &bar,
                    format!(
                        "{} {}: {} ops in {:.2} s, {} failed",
                        t.name(),
                        m.name(),
                        r.ops,
                        r.total_s,
                        r.errors
                    ),
                );
            }
            sink.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(r);
        }
    }
    bar.finish_and_clear();
}
