//! Scale: many simulated devices in one process, and one pooled session to each.
//! Reports RSS per idle device, connect+hello latency, accepts per second, and RSS per
//! pooled session (client and server side, both in this process).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use junos_sim::{Addressing, DeviceConfig, Fleet, FleetConfig};
use netpool::{HostKeyPolicy, Pool};
use serde::Serialize;

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
    /// Sessions opened (one per device).
    pub sessions: usize,
    /// Concurrent opens.
    pub concurrency: usize,
    /// Connect + SSH + auth + NETCONF hello, per device: p50, p90, p99, ms.
    pub connect_hello_ms: [f64; 3],
    /// Sessions established per second over the whole ramp.
    pub accepts_per_s: f64,
    /// Resident memory with every session open and idle, KiB.
    pub rss_sessions_kib: u64,
    /// (rss_sessions - rss_fleet) / sessions: one client+server session pair, KiB.
    pub rss_per_session_pair_kib: f64,
    /// Failed opens.
    pub errors: usize,
}

pub use netchaos::rss_kib;

/// Start `devices` routers on 127.0.1.1 and up, then open one NETCONF session to each
/// with `concurrency` opens in flight.
pub async fn run(devices: usize, concurrency: usize) -> Result<ScaleReport, String> {
    let rss_start = rss_kib();
    let t = Instant::now();
    let fleet = Fleet::start(FleetConfig {
        routers: devices,
        seed: 1,
        first_index: 0,
        addressing: Addressing::Loopback {
            first: Ipv4Addr::new(127, 0, 1, 1),
            ports: vec![0],
        },
        device: DeviceConfig {
            route_count: 100,
            ..Default::default()
        },
    })
    .await
    .map_err(|e| format!("starting {devices} devices: {e}"))?;
    let fleet_start_s = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_fleet = rss_kib();
    let pool = Pool::builder()
        .host_key_policy(HostKeyPolicy::Pinned(
            fleet
                .devices()
                .iter()
                .map(|d| d.host_key_fingerprint())
                .collect(),
        ))
        .max_sessions_total(devices * 2)
        .keepalive_interval(None)
        .idle_timeout(None)
        .build()
        .map_err(|e| e.to_string())?;
    let targets: Vec<netpool::Device> = fleet
        .devices()
        .iter()
        .map(|d| {
            netpool::Device::with_password(
                d.addr().ip().to_string(),
                d.addr().port(),
                "lab",
                "lab123",
            )
        })
        .collect();
    let t = Instant::now();
    let results: Vec<Result<f64, String>> = futures::stream::iter(targets.iter().cloned())
        .map(|d| {
            let pool = pool.clone();
            async move {
                let t = Instant::now();
                let g = pool.netconf(&d).await.map_err(|e| e.to_string())?;
                let ms = t.elapsed().as_secs_f64() * 1e3;
                drop(g);
                Ok(ms)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let ramp = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_sessions = rss_kib();
    let mut lat: Vec<f64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| {
        if lat.is_empty() {
            0.0
        } else {
            lat[((lat.len() - 1) as f64 * p).round() as usize]
        }
    };
    let ok = lat.len();
    let report = ScaleReport {
        devices,
        rss_start_kib: rss_start,
        rss_fleet_kib: rss_fleet,
        rss_per_idle_device_kib: rss_fleet.saturating_sub(rss_start) as f64 / devices.max(1) as f64,
        fleet_start_s,
        sessions: ok,
        concurrency,
        connect_hello_ms: [q(0.5), q(0.9), q(0.99)],
        accepts_per_s: ok as f64 / ramp,
        rss_sessions_kib: rss_sessions,
        rss_per_session_pair_kib: rss_sessions.saturating_sub(rss_fleet) as f64 / ok.max(1) as f64,
        errors: results.len() - ok,
    };
    pool.shutdown(Duration::from_secs(5)).await;
    drop(fleet);
    Ok(report)
}
