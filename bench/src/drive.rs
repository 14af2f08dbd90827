//! Driving a fleet served elsewhere (`netlab scale --inventory`): this process holds only
//! the client side. One pooled NETCONF session per device is opened at a bounded
//! concurrency; then, with every session idle, the CPU the keepalives cost; then a
//! checkout sweep over every device.

use std::time::{Duration, Instant};

use futures::StreamExt;
use netpool::{HostKeyPolicy, Pool};
use serde::Serialize;

use crate::scale::cpu_ms;
use netchaos::probe::{percentile, sort};
use netchaos::rss_kib;

/// What driving an external fleet measured.
#[derive(Debug, Serialize)]
pub struct DriveReport {
    /// Devices in the inventory.
    pub devices: usize,
    /// Sessions open after the ramp.
    pub sessions: usize,
    /// Devices whose session could not be opened.
    pub errors: usize,
    /// The first failure, if any.
    pub first_error: Option<String>,
    /// Devices opened at once.
    pub concurrency: usize,
    /// Connect + authentication + NETCONF hello per device, ms: p50, p90, p99.
    pub connect_hello_ms: [f64; 3],
    /// Sessions established per second during the ramp.
    pub connects_per_s: f64,
    /// This (client) process's resident memory before the ramp and with every session
    /// open, KiB.
    pub rss_kib: [u64; 2],
    /// Client-side memory per pooled session (one SSH connection each), KiB.
    pub rss_per_client_session_kib: f64,
    /// Keepalive interval during the idle window, seconds.
    pub keepalive_interval_s: f64,
    /// Length of the idle window, seconds.
    pub idle_s: f64,
    /// CPU this process used in the idle window (keepalives), as a share of one core.
    pub idle_cpu_share_of_core: f64,
    /// Checkouts in the sweep (each device in turn, each returned at once).
    pub checkouts: usize,
    /// Checkout wait, microseconds: p50, p99, max.
    pub checkout_us: [f64; 3],
}

/// Open one session per device, hold them idle for `idle` with keepalives every
/// `keepalive`, then check out every device `rounds` times.
pub async fn drive(
    devices: &[netpool::Device],
    host_keys: HostKeyPolicy,
    concurrency: usize,
    keepalive: Duration,
    idle: Duration,
    rounds: usize,
) -> Result<DriveReport, String> {
    let pool = Pool::builder()
        .host_key_policy(host_keys)
        .max_sessions_total(devices.len() * 2 + 16)
        .max_connections_per_device(1)
        .channels_per_connection(2)
        .keepalive_interval(Some(keepalive))
        .idle_timeout(None)
        .health_check_after(Duration::from_secs(3600))
        .build()
        .map_err(|e| e.to_string())?;
    let rss0 = rss_kib();
    let t = Instant::now();
    let opened: Vec<Result<f64, String>> = futures::stream::iter(devices.iter().cloned())
        .map(|d| {
            let pool = pool.clone();
            async move {
                let t = Instant::now();
                let g = pool.netconf(&d).await.map_err(|e| e.to_string())?;
                drop(g);
                Ok(t.elapsed().as_secs_f64() * 1e3)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let ramp = t.elapsed().as_secs_f64();
    let mut ms: Vec<f64> = opened
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let first_error = opened.iter().find_map(|r| r.as_ref().err().cloned());
    let ok = ms.len();
    sort(&mut ms);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss1 = rss_kib();
    let sessions: usize = pool.stats().iter().map(|s| s.idle_sessions).sum();

    let cpu0 = cpu_ms();
    let t = Instant::now();
    tokio::time::sleep(idle).await;
    let idle_s = t.elapsed().as_secs_f64();
    let idle_cpu = (cpu_ms() - cpu0) / 1000.0 / idle_s;

    let mut waits = Vec::with_capacity(devices.len() * rounds);
    for _ in 0..rounds {
        for d in devices {
            let t = Instant::now();
            if let Ok(g) = pool.netconf(d).await {
                waits.push(t.elapsed().as_secs_f64() * 1e6);
                drop(g);
            }
        }
    }
    sort(&mut waits);
    let report = DriveReport {
        devices: devices.len(),
        sessions,
        errors: devices.len() - ok,
        first_error,
        concurrency,
        connect_hello_ms: [0.5, 0.9, 0.99].map(|q| percentile(&ms, q)),
        connects_per_s: ok as f64 / ramp,
        rss_kib: [rss0, rss1],
        rss_per_client_session_kib: rss1.saturating_sub(rss0) as f64 / sessions.max(1) as f64,
        keepalive_interval_s: keepalive.as_secs_f64(),
        idle_s,
        idle_cpu_share_of_core: idle_cpu,
        checkouts: waits.len(),
        checkout_us: [
            percentile(&waits, 0.5),
            percentile(&waits, 0.99),
            waits.last().copied().unwrap_or(0.0),
        ],
    };
    pool.shutdown(Duration::from_secs(10)).await;
    Ok(report)
}
