//! `netlab`: benchmark pooled against per-call sessions, serve a simulated fleet.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;

mod inventory;

use clap::{Parser, Subcommand};
use junos_sim::{Addressing, DeviceConfig, Fleet, FleetConfig, Timing};
use netpool::{HostKeyPolicy, PoolConfig};
use netpool_bench::report::BenchReport;
use netpool_bench::{BenchOptions, Mode, Target, Transport, Workload};

#[derive(Parser)]
#[command(
    name = "netlab",
    version,
    about = "Benchmark and torture SSH/NETCONF session pools against simulated or real Junos routers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compare per-call sessions with pooled ones, side by side in one run.
    ///
    /// Starts an embedded simulated fleet (each router on its own 127.0.1.N address) and
    /// runs the workload in each mode: per-call (a new session per command), one-per-device
    /// (one session per router behind a lock), pooled-seq and pooled-par (netpool).
    ///
    /// Example: netlab bench --profile vmx --json bench.json --svg bench.svg
    Bench(BenchArgs),
    /// Start many simulated routers in this process and open one pooled session to each:
    /// RSS per idle device, connect+hello latency, accepts per second, RSS per session.
    ///
    /// Example: netlab scale --devices 1000
    Scale(ScaleArgs),
    /// Against real devices: the read-only workload per-call and pooled, and the safe faults
    /// (wrong password on a second connection, a refused port, an unreachable host if the
    /// inventory names one). Never changes configuration unless --allow-config.
    ///
    /// Example: NETLAB_PASSWORD=... netlab validate --inventory lab/inventory.example.toml
    Validate(ValidateArgs),
    /// Run the chaos matrix: faults against simulated routers, a PASS/FAIL row each.
    ///
    /// Exits non-zero if any scenario fails. Example: netlab chaos --scenario killed-sshd
    Chaos(ChaosArgs),
    /// Serve a simulated fleet until Ctrl-C and print where each router listens.
    ///
    /// Example: netlab sim --routers 5 --profile vmx
    Sim(SimArgs),
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Number of simulated routers.
    #[arg(long, default_value_t = 5)]
    routers: usize,
    /// Device timing: instant (software cost only), vmx (calibrated to published vMX
    /// figures) or wan (vmx behind a fault proxy adding a 20-50 ms round trip).
    #[arg(long, default_value = "instant")]
    profile: String,
    /// `seed` (design.md: 7 commands on every router) or a workload TOML file.
    #[arg(long, default_value = "seed")]
    workload: String,
    /// Modes to run, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "per-call,one-per-device,pooled-seq,pooled-par,openssh-mux,rustnetconf-pool"
    )]
    modes: Vec<String>,
    /// Transports: netconf (command RPC on a NETCONF session), cli (SSH exec).
    #[arg(long, value_delimiter = ',', default_value = "netconf,cli")]
    transports: Vec<String>,
    /// Timed passes per mode; the median is reported with the spread.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Synthetic routes per router.
    #[arg(long, default_value_t = 1000)]
    routes: u32,
    /// Write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write a latency chart (SVG).
    #[arg(long)]
    svg: Option<PathBuf>,
    /// A small, fast run (2 routers, 1 pass): a smoke test of the runner.
    #[arg(long)]
    quick: bool,
    /// Give all routers 127.0.0.1 (free ports) instead of one 127.0.1.N address each.
    #[arg(long)]
    single_address: bool,
    /// Benchmark the real devices of this inventory instead of a simulated fleet
    /// (read-only commands only; see lab/inventory.example.toml).
    #[arg(long)]
    inventory: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ChaosArgs {
    /// A scenario name, or `all`.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Full sizes (20 s of bursts, 10^5 routes) instead of quick ones.
    #[arg(long)]
    full: bool,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
}

#[derive(clap::Args)]
struct ScaleArgs {
    /// The scaling sweep instead: devices 1, 10, 100 and --devices (at most), each at
    /// concurrency 1, 16, 64 and 256; then the CPU keepalives cost with all sessions idle.
    #[arg(long)]
    sweep: bool,
    /// Operations per cell of the sweep.
    #[arg(long, default_value_t = 2000)]
    ops: usize,
    /// Simulated routers (each on its own 127.0.1.N address).
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    /// Devices being opened at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// NETCONF sessions per device (1 to 10), multiplexed on one SSH connection per
    /// device: `--devices 1000 --sessions-per-device 10` holds 10,000 idle sessions.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=10))]
    sessions_per_device: u16,
    /// Write the figures as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(clap::Args)]
struct SimArgs {
    /// Number of routers.
    #[arg(long, default_value_t = 5)]
    routers: usize,
    /// Timing profile: instant or vmx.
    #[arg(long, default_value = "instant")]
    profile: String,
    /// First address: routers get consecutive addresses from it.
    #[arg(long, default_value = "127.0.1.1")]
    listen: Ipv4Addr,
    /// Ports on each address (0 = a free port).
    #[arg(long, value_delimiter = ',', default_value = "2222,8830")]
    ports: Vec<u16>,
    /// Synthetic routes per router.
    #[arg(long, default_value_t = 1000)]
    routes: u32,
    /// Write an inventory of the fleet (pinned host keys, password by reference).
    #[arg(long)]
    inventory_out: Option<PathBuf>,
    /// The environment variable the written inventory names for the password.
    #[arg(long, default_value = "NETLAB_SIM_PASSWORD")]
    password_env: String,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// The inventory (TOML; see lab/inventory.example.toml).
    #[arg(long)]
    inventory: PathBuf,
    /// Also exercise the configuration path (lock, load, commit check, discard, unlock).
    /// Nothing is ever committed; without this flag no configuration RPC is sent.
    #[arg(long)]
    allow_config: bool,
    /// Timed passes per mode.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// PASS in green and FAIL in red when stdout is a terminal.
fn paint(verdict: &str) -> String {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return verdict.to_string();
    }
    let code = if verdict == "PASS" { 32 } else { 31 };
    format!("\x1b[{code}m{verdict:<7}\x1b[0m")
}

fn timing(profile: &str) -> Result<Timing, String> {
    Timing::by_name(profile)
        .ok_or_else(|| format!("--profile: unknown profile {profile:?} (instant, vmx, wan)"))
}

/// The `wan` profile: vmx devices behind a fault proxy adding 10-25 ms each way
/// (a round trip of 20-50 ms, 35 ms on average).
const WAN_ONE_WAY: std::time::Duration = std::time::Duration::from_micros(17_500);
const WAN_JITTER: std::time::Duration = std::time::Duration::from_micros(7_500);

/// A key pair for the OpenSSH peer, made with ssh-keygen in a temporary directory
/// (None, with a note, when OpenSSH is not installed).
fn openssh_key() -> Option<(russh::keys::PublicKey, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("netlab-key-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let key = dir.join("id_ed25519");
    let _ = std::fs::remove_file(&key);
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status();
    let ok = made.map(|s| s.success()).unwrap_or(false)
        && std::process::Command::new("ssh").arg("-V").output().is_ok();
    if !ok {
        eprintln!("note: OpenSSH (ssh, ssh-keygen) not found: the openssh-mux peer is left out");
        return None;
    }
    let text = std::fs::read_to_string(key.with_extension("pub")).ok()?;
    Some((russh::keys::PublicKey::from_openssh(text.trim()).ok()?, key))
}

/// `netlab bench --inventory`: the same modes against real devices.
async fn bench_inventory(
    a: &BenchArgs,
    path: &std::path::Path,
    modes: &[Mode],
    transports: &[Transport],
    repeat: usize,
) -> Result<(), String> {
    let inv = inventory::Inventory::load(path)?;
    let n = inv.devices.len();
    let workload = match a.workload.as_str() {
        "seed" => Workload::seed(n),
        w => Workload::from_toml(std::path::Path::new(w), n)?,
    };
    let targets = real_targets(&inv);
    let modes: Vec<Mode> = modes
        .iter()
        .copied()
        .filter(|m| *m != Mode::OpensshMux)
        .collect();
    eprintln!(
        "netlab bench: {n} devices from {}, workload {} ({} ops), {} timed pass(es) each",
        path.display(),
        workload.name,
        workload.ops.len(),
        repeat
    );
    let opts = BenchOptions {
        pool: inv.pool.clone(),
        timing: None,
        repeat,
        progress: true,
        rtt: std::time::Duration::ZERO,
        ssh_key: None,
        peer_password: None,
    };
    let results = netpool_bench::run(&opts, &targets, &workload, &modes, transports).await;
    let report = BenchReport::new("real", n, &workload.name, repeat, results);
    emit(&report, a)
}

fn emit(report: &BenchReport, a: &BenchArgs) -> Result<(), String> {
    print!("{}", report.table());
    if let Some(p) = &a.json {
        std::fs::write(
            p,
            serde_json::to_string_pretty(report).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(p) = &a.svg {
        std::fs::write(p, report.svg()).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if report.modes.iter().any(|m| m.errors > 0) {
        return Err("some operations failed (see the table)".into());
    }
    Ok(())
}

async fn bench(a: BenchArgs) -> Result<(), String> {
    let routers = if a.quick { a.routers.min(2) } else { a.routers };
    let repeat = if a.quick { 1 } else { a.repeat.max(1) };
    let timing = timing(&a.profile)?;
    let modes = a
        .modes
        .iter()
        .map(|m| Mode::parse(m).ok_or_else(|| format!("--modes: unknown mode {m:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let transports = a
        .transports
        .iter()
        .map(|t| match t.as_str() {
            "netconf" => Ok(Transport::Netconf),
            "cli" => Ok(Transport::Cli),
            other => Err(format!(
                "--transports: unknown transport {other:?} (netconf, cli)"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(path) = &a.inventory {
        return bench_inventory(&a, path, &modes, &transports, repeat).await;
    }
    let workload = match a.workload.as_str() {
        "seed" => Workload::seed(routers),
        path => Workload::from_toml(std::path::Path::new(path), routers)?,
    };
    let addressing = if a.single_address {
        Addressing::default()
    } else {
        Addressing::Loopback {
            first: Ipv4Addr::new(127, 0, 1, 1),
            ports: vec![0],
        }
    };
    // The OpenSSH peer logs in with a key made for this run.
    let ssh_key = if modes.contains(&Mode::OpensshMux) && transports.contains(&Transport::Cli) {
        openssh_key()
    } else {
        None
    };
    let mut user = junos_sim::User::with_password("lab", "lab123");
    if let Some((pubkey, _)) = &ssh_key {
        user.keys.push(pubkey.clone());
    }
    let fleet = Fleet::start(FleetConfig {
        routers,
        seed: 1,
        first_index: 0,
        addressing,
        device: DeviceConfig {
            route_count: a.routes,
            timing: timing.clone(),
            users: vec![user],
            ..Default::default()
        },
    })
    .await
    .map_err(|e| format!("starting the simulated fleet: {e}"))?;
    let mut proxies = Vec::new();
    let mut targets = Vec::new();
    for (i, d) in fleet.devices().iter().enumerate() {
        let addr = if a.profile == "wan" {
            let p = netchaos::FaultProxy::start(d.addr(), 1000 + i as u64)
                .await
                .map_err(|e| format!("starting the wan proxy: {e}"))?;
            for dir in [
                netchaos::Direction::Upstream,
                netchaos::Direction::Downstream,
            ] {
                p.add(netchaos::Toxic::new(
                    "wan",
                    dir,
                    netchaos::ToxicKind::Latency {
                        latency: WAN_ONE_WAY,
                        jitter: WAN_JITTER,
                    },
                ));
            }
            let addr = p.addr();
            proxies.push(p);
            addr
        } else {
            d.addr()
        };
        targets.push(Target {
            device: netpool::Device::with_password(
                addr.ip().to_string(),
                addr.port(),
                "lab",
                "lab123",
            ),
            sim: Some(d.clone()),
        });
    }
    let mut pool = PoolConfig::default();
    pool.host_key_policy = HostKeyPolicy::Pinned(
        fleet
            .devices()
            .iter()
            .map(|d| d.host_key_fingerprint())
            .collect(),
    );
    eprintln!(
        "netlab bench: {} routers ({} profile), workload {} ({} ops), modes {}, transports {}, {} timed pass(es) each",
        routers, a.profile, workload.name, workload.ops.len(), a.modes.join(","), a.transports.join(","), repeat
    );
    let rtt = if a.profile == "wan" {
        WAN_ONE_WAY * 2
    } else {
        std::time::Duration::ZERO
    };
    let opts = BenchOptions {
        pool,
        timing: Some(timing),
        repeat,
        progress: true,
        rtt,
        ssh_key: ssh_key.as_ref().map(|(_, k)| k.clone()),
        peer_password: Some("lab123".into()),
    };
    let results = netpool_bench::run(&opts, &targets, &workload, &modes, &transports).await;
    let report = BenchReport::new(&a.profile, routers, &workload.name, repeat, results);
    drop(proxies);
    emit(&report, &a)
}

async fn chaos(a: ChaosArgs) -> Result<(), String> {
    if a.list {
        for s in netchaos::SCENARIOS {
            println!("{:<26} {}", s.name, s.fault);
        }
        return Ok(());
    }
    let size = if a.full {
        netchaos::Size::Full
    } else {
        netchaos::Size::Quick
    };
    let results = netchaos::run(size, Some(&a.scenario)).await?;
    println!(
        "{:<26} {:<7} {:>8} {:>9}  bad path / good path",
        "scenario", "verdict", "time s", "probe p99"
    );
    for r in &results {
        println!(
            "{:<26} {:<7} {:>8.2} {:>7.1}ms  {}",
            r.name,
            paint(r.verdict),
            r.duration_s,
            r.probe_p99_ms,
            if r.bad_path.is_empty() {
                "-"
            } else {
                &r.bad_path
            }
        );
        println!(
            "{:<26} {:<7} {:>8} {:>9}  {}",
            "",
            "",
            "",
            "",
            if r.good_path.is_empty() {
                "-"
            } else {
                &r.good_path
            }
        );
        if !r.detail.is_empty() {
            println!(
                "{:<26} {:<7} {:>8} {:>9}  FAIL: {}",
                "", "", "", "", r.detail
            );
        }
    }
    let failed = results.iter().filter(|r| r.verdict != "PASS").count();
    println!("{} passed, {} failed", results.len() - failed, failed);
    if let Some(p) = &a.json {
        std::fs::write(
            p,
            serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if failed > 0 {
        return Err(format!("{failed} chaos scenario(s) failed"));
    }
    Ok(())
}

async fn scale(a: ScaleArgs) -> Result<(), String> {
    if a.sweep {
        let counts: Vec<usize> = [1, 10, 100, 1000, 10_000]
            .into_iter()
            .filter(|n| *n <= a.devices.max(1))
            .collect();
        eprintln!(
            "netlab scale --sweep: devices {counts:?} x concurrency [1, 16, 64, 256], {} ops each",
            a.ops
        );
        let (rows, ka) = netpool_bench::scale::sweep(
            &counts,
            &[1, 16, 64, 256],
            a.ops,
            std::time::Duration::from_secs(5),
        )
        .await?;
        println!(
            "{:>8} {:>6} {:>10} {:>9} {:>9} {:>14} {:>7}",
            "devices", "conc", "ops/s", "p99 ms", "sessions", "KiB/session", "errors"
        );
        for r in &rows {
            println!(
                "{:>8} {:>6} {:>10.0} {:>9.2} {:>9} {:>14.1} {:>7}",
                r.devices,
                r.concurrency,
                r.throughput,
                r.p99_ms,
                r.sessions,
                r.rss_per_session_kib,
                r.errors
            );
        }
        println!(
            "keepalives (1 s interval), all sessions idle: {ka:.1} ms CPU per connection per hour"
        );
        if let Some(p) = &a.json {
            let j =
                serde_json::json!({ "sweep": rows, "keepalive_cpu_ms_per_connection_hour": ka });
            std::fs::write(
                p,
                serde_json::to_string_pretty(&j).map_err(|e| e.to_string())?,
            )
            .map_err(|e| format!("{}: {e}", p.display()))?;
        }
        return if rows.iter().any(|r| r.errors > 0) {
            Err("some operations failed".into())
        } else {
            Ok(())
        };
    }
    eprintln!(
        "netlab scale: {} devices, {} NETCONF session(s) each on one SSH connection, {} devices at a time",
        a.devices, a.sessions_per_device, a.concurrency
    );
    let r = netpool_bench::scale::run(a.devices, usize::from(a.sessions_per_device), a.concurrency)
        .await?;
    println!("devices                      {}", r.devices);
    println!("fleet start                  {:.2} s", r.fleet_start_s);
    println!(
        "RSS per idle device          {:.1} KiB  ({} -> {} KiB)",
        r.rss_per_idle_device_kib, r.rss_start_kib, r.rss_fleet_kib
    );
    println!(
        "sessions idle in the pool    {} on {} SSH connections ({} device errors)",
        r.sessions, r.connections, r.errors
    );
    println!(
        "connect+hello p50/p90/p99    {:.2} / {:.2} / {:.2} ms",
        r.connect_hello_ms[0], r.connect_hello_ms[1], r.connect_hello_ms[2]
    );
    if r.sessions_per_device > 1 {
        println!(
            "more sessions p50/p90/p99    {:.2} / {:.2} / {:.2} ms (channel + hello on the open connection)",
            r.more_sessions_ms[0], r.more_sessions_ms[1], r.more_sessions_ms[2]
        );
    }
    println!(
        "established / s              {:.0} connections, {:.0} sessions",
        r.accepts_per_s, r.sessions_per_s
    );
    println!(
        "RSS per session (both ends)  {:.1} KiB  ({} KiB with all open)",
        r.rss_per_session_pair_kib, r.rss_sessions_kib
    );
    if let Some(p) = &a.json {
        std::fs::write(
            p,
            serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if r.errors > 0 {
        return Err(format!("{} session opens failed", r.errors));
    }
    Ok(())
}

async fn sim(a: SimArgs) -> Result<(), String> {
    let timing = timing(&a.profile)?;
    let fleet = Fleet::start(FleetConfig {
        routers: a.routers,
        seed: 1,
        first_index: 0,
        addressing: Addressing::Loopback {
            first: a.listen,
            ports: a.ports.clone(),
        },
        device: DeviceConfig {
            route_count: a.routes,
            timing,
            ..Default::default()
        },
    })
    .await
    .map_err(|e| format!("starting the fleet: {e}"))?;
    for d in fleet.devices() {
        let addrs: Vec<String> = d.addrs().iter().map(|x| x.to_string()).collect();
        println!(
            "{:<4} {}  user lab  password lab123  hostkey {}",
            d.hostname(),
            addrs.join(" "),
            d.host_key_fingerprint()
        );
    }
    if let Some(p) = &a.inventory_out {
        std::fs::write(p, inventory::Inventory::for_fleet(&fleet, &a.password_env))
            .map_err(|e| format!("{}: {e}", p.display()))?;
        println!(
            "inventory written to {} (export {}=lab123)",
            p.display(),
            a.password_env
        );
    }
    println!(
        "serving {} routers ({} profile); Ctrl-C to stop",
        a.routers, a.profile
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(|e| e.to_string())?,
        _ = term.recv() => {}
    }
    fleet.shutdown(std::time::Duration::from_secs(2)).await;
    let open: u64 = fleet.total(|c| c.sessions_open);
    println!("stopped; {open} sessions open");
    Ok(())
}

#[derive(serde::Serialize)]
struct Check {
    name: String,
    verdict: &'static str,
    detail: String,
}

async fn validate(a: ValidateArgs) -> Result<(), String> {
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
    let results = netpool_bench::run(
        &opts,
        &targets,
        &workload,
        &[Mode::PerCall, Mode::PooledSeq, Mode::PooledPar],
        &[transport],
    )
    .await;
    let report = BenchReport::new("real", n, &workload.name, opts.repeat, results);
    print!("{}", report.table());

    let mut checks = Vec::new();
    let mut check = |name: &str, ok: bool, detail: String| {
        checks.push(Check {
            name: name.into(),
            verdict: if ok { "PASS" } else { "FAIL" },
            detail,
        })
    };
    let pool = Pool::new(inv.pool.clone()).map_err(|e| e.to_string())?;
    let first = &inv.devices[0].device;
    // Wrong password on a second connection (the first stays healthy).
    let warm = pool.cli(first, "show version").await;
    let wrong = netpool::Device::new(
        first.host(),
        first.port(),
        first.user(),
        Auth::Password("netlab-wrong-password".into()),
    );
    let t = Instant::now();
    let r = pool.cli(&wrong, "show version").await;
    let after = pool.cli(first, "show version").await;
    check(
        "wrong-password",
        matches!(r, Err(Error::AuthFailed { .. })) && warm.is_ok() && after.is_ok(),
        format!(
            "{} in {:.0} ms; the good connection {}",
            r.as_ref()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "accepted!".into()),
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
            "{:?} in {:.0} ms",
            r.err().map(|e| e.to_string()),
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
                "{:?} in {:.2} s (bound 2 s)",
                r.err().map(|e| e.to_string()),
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
    for d in &inv.devices {
        drop(pool.netconf(&d.device).await);
    }
    let users = pool.cli(first, "show system users").await;
    let held: usize = pool.stats().iter().map(|s| s.connections).sum();
    check("sessions-held", users.is_ok(), match &users {
        Ok(o) => format!("pool holds {held} SSH connections over {n} devices; `show system users` on {}: {} session lines", inv.devices[0].name, o.stdout.lines().filter(|l| l.contains("netconf") || l.contains("cli")).count()),
        Err(e) => e.to_string(),
    });
    pool.shutdown(Duration::from_secs(2)).await;
    println!("{:<18} {:<7} detail", "check", "verdict");
    for c in &checks {
        println!("{:<18} {:<7} {}", c.name, paint(c.verdict), c.detail);
    }
    if let Some(p) = &a.json {
        let j = serde_json::json!({ "bench": report, "checks": checks });
        std::fs::write(
            p,
            serde_json::to_string_pretty(&j).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let failed = checks.iter().filter(|c| c.verdict != "PASS").count()
        + report.modes.iter().filter(|m| m.errors > 0).count();
    if failed > 0 {
        return Err(format!("{failed} check(s) failed"));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Bench(a) => bench(a).await,
        Command::Sim(a) => sim(a).await,
        Command::Scale(a) => scale(a).await,
        Command::Chaos(a) => chaos(a).await,
        Command::Validate(a) => validate(a).await,
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netlab: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Real devices from an inventory as bench targets (no simulator counters to read).
fn real_targets(inv: &inventory::Inventory) -> Vec<Target> {
    inv.devices
        .iter()
        .map(|d| Target {
            device: d.device.clone(),
            sim: None,
        })
        .collect()
}
