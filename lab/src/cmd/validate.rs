//! `netlab validate`: the read-only benchmark and the safe faults against real devices.

use std::path::PathBuf;

use netpool_bench::report::BenchReport;
use netpool_bench::{BenchOptions, Mode, Transport, Workload};

use super::{device_table, paint, real_targets, run_interruptible};
use crate::inventory;

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// The inventory (TOML; see lab/inventory.example.toml).
    #[arg(long)]
    pub inventory: PathBuf,
    /// Also exercise the configuration path (lock, load, commit check, discard, unlock).
    /// Nothing is ever committed; without this flag no configuration RPC is sent.
    #[arg(long)]
    pub allow_config: bool,
    /// Timed passes per mode.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    #[command(flatten)]
    pub reports: super::Reports,
}

#[derive(serde::Serialize)]
struct Check {
    name: String,
    verdict: &'static str,
    detail: String,
}

pub async fn run(a: ValidateArgs) -> Result<(), String> {
    use netpool::{Auth, Error, Pool};
    use std::time::{Duration, Instant};
    let inv = inventory::Inventory::load(&a.inventory)?;
    let n = inv.devices.len();
    let transport = if inv.devices.iter().all(|d| d.transport == "cli") {
        Transport::Cli
    } else {
        Transport::Netconf
    };
    eprintln!(
        "netlab validate: {n} devices from {}, read-only seed workload per-call and pooled",
        a.inventory.display()
    );
    let targets = real_targets(&inv);
    let opts = BenchOptions {
        pool: inv.pool.clone(),
        timing: None,
        repeat: a.repeat.max(1),
        progress: true,
        rtt: std::time::Duration::ZERO,
        ssh_key: None,
        peer_password: None,
    };
    let workload = Workload::seed(n);
    let (results, interrupted) = run_interruptible(
        &opts,
        &targets,
        &workload,
        &[Mode::PerCall, Mode::PooledSeq, Mode::PooledPar],
        &[transport],
    )
    .await;
    let report = BenchReport::new("real", n, &workload.name, opts.repeat, results);
    print!("{}", report.table());
    let (per_device, failing_devices) = device_table(&targets, &report.modes);
    print!("{per_device}");
    if interrupted {
        return Err("interrupted (Ctrl-C)".into());
    }
    // The safe faults run against a device the workload found healthy: a device found
    // down would only cost its connect timeout again.
    let healthy: Vec<&inventory::InventoryDevice> = inv
        .devices
        .iter()
        .filter(|d| {
            report
                .modes
                .iter()
                .all(|m| !m.device_errors.contains_key(&d.name))
        })
        .collect();
    let Some(first_healthy) = healthy.first() else {
        return Err(format!(
            "no device answered the workload ({failing_devices} of {n} failed); see the rows above"
        ));
    };

    let mut checks = Vec::new();
    let mut check = |name: &str, ok: bool, detail: String| {
        checks.push(Check {
            name: name.into(),
            verdict: if ok { "PASS" } else { "FAIL" },
            detail,
        })
    };
    let pool = Pool::new(inv.pool.clone()).map_err(|e| e.to_string())?;
    let first = &first_healthy.device;
    // Wrong password on a second connection (the first stays healthy).
    let warm = pool.cli(first, "show version").await;
    let wrong = netpool::Device::new(
        first.host(),
        first.port(),
        first.user(),
        Auth::Password("netlab-wrong-password".into()),
    )
    .with_host_keys(first.host_keys().iter().cloned());
    let t = Instant::now();
    let r = pool.cli(&wrong, "show version").await;
    let after = pool.cli(first, "show version").await;
    check(
        "wrong-password",
        matches!(r, Err(Error::AuthFailed { .. })) && warm.is_ok() && after.is_ok(),
        format!(
            "{} in {:.0} ms; the good connection {}",
            error_text(&r, "accepted!"),
            t.elapsed().as_secs_f64() * 1e3,
            if after.is_ok() {
                "kept working"
            } else {
                "failed"
            }
        ),
    );
    // A refused port (a free local port: nothing listens).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| e.to_string())?
        .local_addr()
        .map_err(|e| e.to_string())?
        .port();
    let refused = netpool::Device::new("127.0.0.1", port, first.user(), Auth::Password("x".into()));
    let t = Instant::now();
    let r = pool.cli(&refused, "show version").await;
    check(
        "refused-port",
        matches!(r, Err(Error::ConnectRefused { .. })) && t.elapsed() < Duration::from_secs(1),
        format!(
            "{} in {:.0} ms",
            error_text(&r, "answered!"),
            t.elapsed().as_secs_f64() * 1e3
        ),
    );
    if let Some(addr) = inv.unreachable {
        let p = Pool::builder()
            .config(inv.pool.clone())
            .connect_timeout(Duration::from_secs(2))
            .connect_retries(0)
            .host_key_policy(netpool::HostKeyPolicy::InsecureAcceptAny)
            .build()
            .map_err(|e| e.to_string())?;
        let dead = netpool::Device::new(
            addr.ip().to_string(),
            addr.port(),
            first.user(),
            Auth::Password("x".into()),
        );
        let t = Instant::now();
        let r = p.cli(&dead, "show version").await;
        check(
            "unreachable-host",
            matches!(r, Err(Error::ConnectTimeout { .. })),
            format!(
                "{} in {:.2} s (bound 2 s)",
                error_text(&r, "answered!"),
                t.elapsed().as_secs_f64()
            ),
        );
    }
    if a.allow_config {
        let r = async {
            let mut g = pool.netconf(first).await?;
            g.lock().await?;
            g.load(&netpool::ConfigChange::set_lines(
                "set system login message \"netlab validate\"",
            ))
            .await?;
            g.commit_check().await?;
            g.discard_changes().await?;
            g.unlock().await
        }
        .await;
        check(
            "config-path",
            r.is_ok(),
            format!(
                "lock, load, commit check, discard, unlock: {}",
                r.map(|_| "ok".to_string())
                    .unwrap_or_else(|e| e.to_string())
            ),
        );
    }
    // What the device sees of us: its own list of logged-in sessions.
    for d in &healthy {
        drop(pool.netconf(&d.device).await);
    }
    let users = pool.cli(first, "show system users").await;
    let held: usize = pool.stats().iter().map(|s| s.connections).sum();
    check("sessions-held", users.is_ok(), match &users {
        Ok(o) => format!("pool holds {held} SSH connections over {} healthy devices; `show system users` on {}: {} session lines", healthy.len(), first_healthy.name, o.stdout.lines().filter(|l| l.contains("netconf") || l.contains("cli")).count()),
        Err(e) => e.to_string(),
    });
    pool.shutdown(Duration::from_secs(2)).await;
    println!("{:<18} {:<7} detail", "check", "verdict");
    for c in &checks {
        println!("{:<18} {:<7} {}", c.name, paint(c.verdict), c.detail);
    }
    let case = |c: &Check| {
        let why = format!("{}: {}", c.verdict, c.detail);
        super::junit::Case::new(&c.name, c.verdict == "PASS", why, c.detail.clone(), None)
    };
    a.reports.write(
        "netlab.validate",
        || serde_json::json!({ "bench": report, "checks": checks }),
        || checks.iter().map(case).collect(),
    )?;
    let failed = checks.iter().filter(|c| c.verdict != "PASS").count()
        + report.modes.iter().filter(|m| m.errors > 0).count();
    if failed > 0 {
        let down: Vec<&str> = targets
            .iter()
            .filter(|t| {
                report
                    .modes
                    .iter()
                    .any(|m| m.device_errors.contains_key(&t.name))
            })
            .map(|t| t.name.as_str())
            .collect();
        return Err(if down.is_empty() {
            format!("{failed} check(s) failed")
        } else {
            format!(
                "{failed} check(s) failed; failing devices: {}",
                down.join(", ")
            )
        });
    }
    Ok(())
}

/// A check's outcome as text: the error, or `if_ok` when the call succeeded.
fn error_text<T>(r: &Result<T, netpool::Error>, if_ok: &str) -> String {
    r.as_ref()
        .err()
        .map_or_else(|| if_ok.to_string(), |e| e.to_string())
}
