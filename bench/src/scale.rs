//! Scale: many simulated devices in one process, and pooled sessions to each (one, or up
//! to ten multiplexed on one SSH connection). Reports RSS per idle device, connect+hello
//! latency, accepts per second, and RSS per pooled session (client and server side, both
//! in this process).

use netchaos::probe::{percentile, sort};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use junos_sim::{Addressing, DeviceConfig, Fleet, FleetConfig};
use netpool::Pool;
use serde::Serialize;

use netchaos::sim_fleet::{pinned_host_keys as pinned, pool_devices as targets};

/// `devices` small routers (100 routes each) on consecutive addresses from `first`.
async fn start_fleet(devices: usize, first: Ipv4Addr) -> Result<Fleet, String> {
    Fleet::start(FleetConfig {
        routers: devices,
        seed: 1,
        first_index: 0,
        addressing: Addressing::Loopback {
            first,
            ports: vec![0],
        },
        device: DeviceConfig {
            route_count: 100,
            ..Default::default()
        },
    })
    .await
    .map_err(|e| format!("starting {devices} devices: {e}"))
}

/// What a scale run measured.
#[derive(Debug, Serialize)]
pub struct ScaleReport {
    /// Devices started.
    pub devices: usize,
    /// Resident memory before the fleet, KiB.
    pub rss_start_kib: u64,
    /// Resident memory with the fleet idle, KiB.
    pub rss_fleet_kib: u64,
    /// (rss_fleet - rss_start) / devices, KiB.
    pub rss_per_idle_device_kib: f64,
    /// Seconds to start the fleet.
    pub fleet_start_s: f64,
    /// NETCONF sessions opened and left idle in the pool.
    pub sessions: usize,
    /// Sessions per device, all on one SSH connection per device.
    pub sessions_per_device: usize,
    /// SSH connections the pool holds at the end (from its stats).
    pub connections: usize,
    /// Concurrent opens.
    pub concurrency: usize,
    /// Connect + SSH + auth + NETCONF hello, per device: p50, p90, p99, ms.
    pub connect_hello_ms: [f64; 3],
    /// Each further session on a device's open connection (channel + subsystem + hello):
    /// p50, p90, p99, ms (zeros with one session per device).
    pub more_sessions_ms: [f64; 3],
    /// Devices connected (SSH connection + first session) per second over the whole ramp.
    pub accepts_per_s: f64,
    /// NETCONF sessions opened per second over the whole ramp.
    pub sessions_per_s: f64,
    /// Resident memory with every session open and idle, KiB.
    pub rss_sessions_kib: u64,
    /// (rss_sessions - rss_fleet) / sessions: one client+server session pair, KiB (with
    /// several sessions per device, the connection's share is spread over them).
    pub rss_per_session_pair_kib: f64,
    /// Failed opens.
    pub errors: usize,
}

pub use netchaos::rss_kib;

/// Start `devices` routers on 127.0.1.1 and up, then open `per_device` NETCONF sessions to
/// each (held at once, so they are distinct sessions, on one SSH connection per device)
/// with `concurrency` devices in flight, and leave them idle in the pool.
pub async fn run(
    devices: usize,
    per_device: usize,
    concurrency: usize,
) -> Result<ScaleReport, String> {
    let per_device = per_device.clamp(1, 10);
    let rss_start = rss_kib();
    let t = Instant::now();
    let fleet = start_fleet(devices, Ipv4Addr::new(127, 0, 1, 1)).await?;
    let fleet_start_s = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_fleet = rss_kib();
    let pool = Pool::builder()
        .host_key_policy(pinned(&fleet))
        .max_sessions_total(devices * per_device * 2)
        .max_connections_per_device(1)
        .channels_per_connection(10)
        .keepalive_interval(None)
        .idle_timeout(None)
        .build()
        .map_err(|e| e.to_string())?;
    let targets: Vec<netpool::Device> = targets(&fleet);
    let t = Instant::now();
    // Per device: the first open's time (connect + hello), then each further open's.
    type Opened = Result<(f64, Vec<f64>), String>;
    let results: Vec<Opened> = futures::stream::iter(targets.iter().cloned())
        .map(|d| {
            let pool = pool.clone();
            async move {
                let mut held = Vec::with_capacity(per_device);
                let mut ms = Vec::with_capacity(per_device);
                for _ in 0..per_device {
                    let t = Instant::now();
                    held.push(pool.netconf(&d).await.map_err(|e| e.to_string())?);
                    ms.push(t.elapsed().as_secs_f64() * 1e3);
                }
                Ok((ms[0], ms[1..].to_vec()))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let ramp = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_sessions = rss_kib();
    let stats = pool.stats();
    let sessions: usize = stats.iter().map(|s| s.idle_sessions).sum();
    let connections: usize = stats.iter().map(|s| s.connections).sum();
    let quantiles = |mut v: Vec<f64>| {
        sort(&mut v);
        [0.5, 0.9, 0.99].map(|q| percentile(&v, q))
    };
    let ok_devices: Vec<&(f64, Vec<f64>)> =
        results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let ok = ok_devices.len();
    let first = quantiles(ok_devices.iter().map(|r| r.0).collect());
    let more = quantiles(
        ok_devices
            .iter()
            .flat_map(|r| r.1.iter().copied())
            .collect(),
    );
    let report = ScaleReport {
        devices,
        rss_start_kib: rss_start,
        rss_fleet_kib: rss_fleet,
        rss_per_idle_device_kib: rss_fleet.saturating_sub(rss_start) as f64 / devices.max(1) as f64,
        fleet_start_s,
        sessions,
        sessions_per_device: per_device,
        connections,
        concurrency,
        connect_hello_ms: first,
        more_sessions_ms: more,
        accepts_per_s: ok as f64 / ramp,
        sessions_per_s: sessions as f64 / ramp,
        rss_sessions_kib: rss_sessions,
        rss_per_session_pair_kib: rss_sessions.saturating_sub(rss_fleet) as f64
            / sessions.max(1) as f64,
        errors: results.len() - ok,
    };
    pool.shutdown(Duration::from_secs(5)).await;
    drop(fleet);
    Ok(report)
}

/// One cell of the scaling sweep.
#[derive(Debug, Serialize)]
pub struct SweepRow {
    /// Simulated devices.
    pub devices: usize,
    /// Operations in flight.
    pub concurrency: usize,
    /// Operations run (NETCONF `show version` through the pool).
    pub ops: usize,
    /// Operations per second.
    pub throughput: f64,
    /// Per-operation p99, ms.
    pub p99_ms: f64,
    /// Pooled sessions open after the run.
    pub sessions: usize,
    /// Resident memory added per pooled session (client and server side), KiB.
    pub rss_per_session_kib: f64,
    /// Failed operations.
    pub errors: usize,
}

/// CPU time (user + system) of this process, from /proc/self/stat, in milliseconds.
pub fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) * 10.0 // 100 ticks per second on Linux
}

/// The sweep: for each device count, a fleet and a pool; for each concurrency, `ops`
/// NETCONF commands. Then the CPU the pool's keepalives cost with every session idle.
pub async fn sweep(
    device_counts: &[usize],
    concurrencies: &[usize],
    ops: usize,
    idle_window: Duration,
) -> Result<(Vec<SweepRow>, f64), String> {
    let mut rows = Vec::new();
    let mut keepalive_cpu_ms_per_session_hour = 0.0;
    for &devices in device_counts {
        let fleet = start_fleet(devices, Ipv4Addr::new(127, 0, 2, 1)).await?;
        let targets: Vec<netpool::Device> = targets(&fleet);
        let pool = Pool::builder()
            .host_key_policy(pinned(&fleet))
            .max_sessions_total(100_000)
            .keepalive_interval(Some(Duration::from_secs(1)))
            .idle_timeout(None)
            .build()
            .map_err(|e| e.to_string())?;
        let rss_before = rss_kib();
        for &c in concurrencies {
            let t = Instant::now();
            let mut lat: Vec<f64> =
                futures::stream::iter((0..ops).map(|i| targets[i % devices].clone()))
                    .map(|d| {
                        let pool = pool.clone();
                        async move {
                            let t = Instant::now();
                            let r = async {
                                let mut g = pool.netconf(&d).await?;
                                g.command("show version").await
                            }
                            .await;
                            r.map(|_| t.elapsed().as_secs_f64() * 1e3)
                                .map_err(|e| e.to_string())
                        }
                    })
                    .buffer_unordered(c.max(1))
                    .filter_map(|r| async move { r.ok() })
                    .collect()
                    .await;
            let total = t.elapsed().as_secs_f64();
            sort(&mut lat);
            let sessions: usize = pool
                .stats()
                .iter()
                .map(|s| s.idle_sessions + s.in_use)
                .sum();
            rows.push(SweepRow {
                devices,
                concurrency: c,
                ops,
                throughput: lat.len() as f64 / total,
                p99_ms: percentile(&lat, 0.99),
                sessions,
                rss_per_session_kib: rss_kib().saturating_sub(rss_before) as f64
                    / sessions.max(1) as f64,
                errors: ops - lat.len(),
            });
        }
        // Keepalive cost: every session idle, keepalives every second.
        if devices == *device_counts.iter().max().unwrap_or(&devices) {
            let sessions: usize = pool.stats().iter().map(|s| s.connections).sum();
            let cpu0 = cpu_ms();
            tokio::time::sleep(idle_window).await;
            let used = cpu_ms() - cpu0;
            keepalive_cpu_ms_per_session_hour =
                used / sessions.max(1) as f64 * (3600.0 / idle_window.as_secs_f64());
        }
        pool.shutdown(Duration::from_secs(5)).await;
    }
    Ok((rows, keepalive_cpu_ms_per_session_hour))
}
