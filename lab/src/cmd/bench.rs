//! `netlab bench`: per-call against pooled sessions, side by side in one run, on an
//! embedded simulated fleet or on the real devices of an inventory.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use junos_sim::{Addressing, DeviceConfig, Fleet, FleetConfig, DEFAULT_PASSWORD, DEFAULT_USER};
use netpool::{HostKeyPolicy, PoolConfig};
use netpool_bench::report::BenchReport;
use netpool_bench::{BenchOptions, Mode, Target, Transport, Workload};

use super::{device_table, real_targets, run_interruptible};
use crate::inventory;
use crate::profile::Profile;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Number of simulated routers.
    #[arg(long, default_value_t = 5)]
    pub routers: usize,
    /// Device timing: instant (software cost only), vmx (calibrated to published vMX
    /// figures) or wan (vmx behind a fault proxy adding a 20-50 ms round trip).
    #[arg(long, value_enum, default_value_t = Profile::Instant)]
    pub profile: Profile,
    /// `seed` (design.md: 7 commands on every router) or a workload TOML file.
    #[arg(long, default_value = "seed")]
    pub workload: String,
    /// Modes to run, in order.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = mode_arg,
        default_value = "per-call,one-per-device,pooled-seq,pooled-par,openssh-mux,rustnetconf-pool"
    )]
    pub modes: Vec<Mode>,
    /// Transports: netconf (command RPC on a NETCONF session), cli (SSH exec).
    #[arg(long, value_delimiter = ',', value_parser = transport_arg, default_value = "netconf,cli")]
    pub transports: Vec<Transport>,
    /// Timed passes per mode; the median is reported with the spread.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Synthetic routes per router.
    #[arg(long, default_value_t = 1000)]
    pub routes: u32,
    /// `--junit`: a test case per mode and transport, failed when any of its operations
    /// failed (the first error is the message).
    #[command(flatten)]
    pub reports: super::Reports,
    /// Write the latency chart (SVG, drawn with plotters).
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Write the speedup chart (SVG, drawn with plotters): per mode and transport, with
    /// the published pool's 6.2x / 20.7x as reference lines.
    #[arg(long)]
    pub speedup_svg: Option<PathBuf>,
    /// Write one self-contained HTML report: the table, the latency and speedup charts,
    /// the environment and the JSON.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// A small, fast run (2 routers, 1 pass): a smoke test of the runner.
    #[arg(long)]
    pub quick: bool,
    /// Give all routers 127.0.0.1 (free ports) instead of one 127.0.1.N address each.
    #[arg(long)]
    pub single_address: bool,
    /// Benchmark the real devices of this inventory instead of a simulated fleet
    /// (read-only commands only; see lab/inventory.example.toml).
    #[arg(long)]
    pub inventory: Option<PathBuf>,
}

fn mode_arg(s: &str) -> Result<Mode, String> {
    Mode::parse(s).ok_or_else(|| format!("unknown mode {s:?} (per-call, one-per-device, pooled-seq, pooled-par, openssh-mux, rustnetconf-pool)"))
}

fn transport_arg(s: &str) -> Result<Transport, String> {
    match s {
        "netconf" => Ok(Transport::Netconf),
        "cli" => Ok(Transport::Cli),
        other => Err(format!("unknown transport {other:?} (netconf, cli)")),
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(",")
}

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
        rtt: Duration::ZERO,
        ssh_key: None,
        peer_password: None,
    };
    let (results, interrupted) =
        run_interruptible(&opts, &targets, &workload, &modes, transports).await;
    let report = BenchReport::new("real", n, &workload.name, repeat, results);
    let (per_device, _) = device_table(&targets, &report.modes);
    let r = emit(&report, a);
    print!("{per_device}");
    if interrupted {
        return Err("interrupted (Ctrl-C)".into());
    }
    r
}

fn emit(report: &BenchReport, a: &BenchArgs) -> Result<(), String> {
    print!("{}", report.table());
    let case = |m: &netpool_bench::ModeResult| {
        let why = format!(
            "{} operations failed ({} a pass); the first: {}",
            m.errors,
            m.ops,
            m.first_error.as_deref().unwrap_or("-")
        );
        let seen = format!(
            "total {:.3} s, p50 {:.3} ms, p99 {:.3} ms, {} connections opened",
            m.total_s, m.p50_ms, m.p99_ms, m.connections_opened
        );
        let name = format!("{} {}", m.transport, m.mode);
        super::junit::Case::new(&name, m.errors == 0, why, seen, Some(m.total_s))
    };
    a.reports.write(
        "netlab.bench",
        || report,
        || report.modes.iter().map(case).collect(),
    )?;
    if let Some(p) = &a.svg {
        let chart = netpool_bench::charts::latency_cdf(report)?;
        std::fs::write(p, chart.svg).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(p) = &a.speedup_svg {
        let chart = netpool_bench::charts::speedup_bars(report)?;
        std::fs::write(p, chart.svg).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(p) = &a.html {
        use netpool_bench::html::Part;
        let mut parts = vec![
            Part::Heading("Modes, side by side in one run".into()),
            Part::Table(report.table()),
        ];
        for chart in [
            netpool_bench::charts::speedup_bars(report),
            netpool_bench::charts::latency_cdf(report),
        ] {
            match chart {
                Ok(c) => parts.push(Part::Chart(c)),
                Err(e) => parts.push(Part::Note(format!("chart left out: {e}"))),
            }
        }
        super::write_html(
            p,
            &format!(
                "netlab bench: {} profile, {} routers",
                report.profile, report.routers
            ),
            &[
                ("profile", report.profile.clone()),
                ("routers", report.routers.to_string()),
                ("workload", report.workload.clone()),
                ("timed passes per mode", report.repeat.to_string()),
            ],
            &parts,
            report,
        )?;
    }
    if report.modes.iter().any(|m| m.errors > 0) {
        return Err("some operations failed (see the table)".into());
    }
    Ok(())
}

pub async fn run(a: BenchArgs) -> Result<(), String> {
    let routers = if a.quick { a.routers.min(2) } else { a.routers };
    let repeat = if a.quick { 1 } else { a.repeat.max(1) };
    let timing = a.profile.timing();
    let (modes, transports) = (a.modes.clone(), a.transports.clone());
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
    let mut user = junos_sim::User::with_password(DEFAULT_USER, DEFAULT_PASSWORD);
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
        let addr = if let Some((latency, jitter)) = a.profile.one_way() {
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
                    netchaos::ToxicKind::Latency { latency, jitter },
                ));
            }
            let addr = p.addr();
            proxies.push(p);
            addr
        } else {
            d.addr()
        };
        targets.push(Target {
            name: d.hostname().to_string(),
            device: netpool::Device::with_password(
                addr.ip().to_string(),
                addr.port(),
                DEFAULT_USER,
                DEFAULT_PASSWORD,
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
        routers, a.profile, workload.name, workload.ops.len(), names(modes.iter().map(|m| m.name())), names(transports.iter().map(|t| t.name())), repeat
    );
    let rtt = a
        .profile
        .one_way()
        .map_or(Duration::ZERO, |(one_way, _)| one_way * 2);
    let opts = BenchOptions {
        pool,
        timing: Some(timing),
        repeat,
        progress: true,
        rtt,
        ssh_key: ssh_key.as_ref().map(|(_, k)| k.clone()),
        peer_password: Some(DEFAULT_PASSWORD.into()),
    };
    let results = netpool_bench::run(&opts, &targets, &workload, &modes, &transports).await;
    let report = BenchReport::new(a.profile.name(), routers, &workload.name, repeat, results);
    drop(proxies);
    emit(&report, &a)
}
