//! `netlab`: benchmark pooled against per-call sessions, serve a simulated fleet.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;

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
        default_value = "per-call,one-per-device,pooled-seq,pooled-par"
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
    /// Simulated routers (each on its own 127.0.1.N address).
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    /// Session opens in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
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
}

fn timing(profile: &str) -> Result<Timing, String> {
    Timing::by_name(profile)
        .ok_or_else(|| format!("--profile: unknown profile {profile:?} (instant, vmx, wan)"))
}

/// The `wan` profile: vmx devices behind a fault proxy adding 10-25 ms each way
/// (a round trip of 20-50 ms, 35 ms on average).
const WAN_ONE_WAY: std::time::Duration = std::time::Duration::from_micros(17_500);
const WAN_JITTER: std::time::Duration = std::time::Duration::from_micros(7_500);

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
    let fleet = Fleet::start(FleetConfig {
        routers,
        seed: 1,
        addressing,
        device: DeviceConfig {
            route_count: a.routes,
            timing: timing.clone(),
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
    };
    let results = netpool_bench::run(&opts, &targets, &workload, &modes, &transports).await;
    let report = BenchReport::new(&a.profile, routers, &workload.name, repeat, results);
    print!("{}", report.table());
    if let Some(p) = &a.json {
        std::fs::write(
            p,
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?,
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
            r.verdict,
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
    eprintln!(
        "netlab scale: {} devices, one NETCONF session each, {} opens at a time",
        a.devices, a.concurrency
    );
    let r = netpool_bench::scale::run(a.devices, a.concurrency).await?;
    println!("devices                      {}", r.devices);
    println!("fleet start                  {:.2} s", r.fleet_start_s);
    println!(
        "RSS per idle device          {:.1} KiB  ({} -> {} KiB)",
        r.rss_per_idle_device_kib, r.rss_start_kib, r.rss_fleet_kib
    );
    println!(
        "sessions opened              {} ({} errors)",
        r.sessions, r.errors
    );
    println!(
        "connect+hello p50/p90/p99    {:.2} / {:.2} / {:.2} ms",
        r.connect_hello_ms[0], r.connect_hello_ms[1], r.connect_hello_ms[2]
    );
    println!("sessions established / s     {:.0}", r.accepts_per_s);
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
    println!(
        "serving {} routers ({} profile); Ctrl-C to stop",
        a.routers, a.profile
    );
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    drop(fleet);
    println!("stopped");
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
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netlab: {e}");
            ExitCode::FAILURE
        }
    }
}
