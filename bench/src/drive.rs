//! Driving a fleet served elsewhere (`netlab scale --inventory`): this process holds only
//! the client side. One pooled NETCONF session per device is opened at a bounded
//! concurrency; then, with every session idle, the CPU the keepalives cost; then a
//! checkout sweep over every device. Several workers' reports, each over its slice of
//! one inventory, merge into one ([`merge`]).

use std::time::{Duration, Instant};

use futures::StreamExt;
use netpool::{HostKeyPolicy, Pool};
use serde::{Deserialize, Serialize};

use crate::scale::cpu_ms;
use netchaos::probe::{percentile, sort};
use netchaos::rss_kib;

/// What driving an external fleet measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DriveReport {
    /// Workers whose reports this is (1 for one process; more after [`merge`]).
    #[serde(default = "one")]
    pub workers: usize,
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
    /// Checkouts of the sweep that failed (a session that died in the idle window is one).
    #[serde(default)]
    pub checkout_errors: usize,
    /// The first failed checkout, if any.
    #[serde(default)]
    pub first_checkout_error: Option<String>,
    /// When the ramp (opening every session) started and ended, seconds since the Unix
    /// epoch: merged workers' rate is their connects over the span of all their ramps.
    #[serde(default)]
    pub ramp_unix_s: [f64; 2],
    /// Checkout wait, microseconds: p50, p99, max.
    pub checkout_us: [f64; 3],
    /// Connect + hello times, ms, at 2 significant digits: `[value, count]`, so that
    /// workers' distributions merge (percentiles cannot be averaged).
    #[serde(default)]
    pub connect_hello_ms_hist: Vec<(f64, u64)>,
    /// Checkout waits, microseconds, likewise.
    #[serde(default)]
    pub checkout_us_hist: Vec<(f64, u64)>,
}

fn one() -> usize {
    1
}

/// `v` rounded to 2 significant digits (1% resolution or better above 10).
fn two_digits(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 0.0;
    }
    let e = 10f64.powi(v.log10().floor() as i32 - 1);
    (v / e).round() * e
}

/// Sorted samples as `[value, count]` at 2 significant digits.
pub fn coarse(sorted: &[f64]) -> Vec<(f64, u64)> {
    run_length(sorted.iter().map(|v| (two_digits(*v), 1)))
}

/// `[value, count]` pairs in value order, equal values added together.
fn run_length(sorted: impl IntoIterator<Item = (f64, u64)>) -> Vec<(f64, u64)> {
    let mut out: Vec<(f64, u64)> = Vec::new();
    for (v, n) in sorted {
        match out.last_mut() {
            Some((last, m)) if *last == v => *m += n,
            _ => out.push((v, n)),
        }
    }
    out
}

/// The `q` quantile of a `[value, count]` histogram sorted by value (the same rank rule as
/// [`netchaos::probe::percentile`]).
pub fn hist_percentile(h: &[(f64, u64)], q: f64) -> f64 {
    let total: u64 = h.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return 0.0;
    }
    let rank = ((total - 1) as f64 * q.clamp(0.0, 1.0)).round() as u64;
    let mut seen = 0;
    for (v, n) in h {
        seen += n;
        if seen > rank {
            return *v;
        }
    }
    h.last().map_or(0.0, |(v, _)| *v)
}

fn merge_hist(parts: &[&[(f64, u64)]]) -> Vec<(f64, u64)> {
    let mut all: Vec<(f64, u64)> = parts.iter().flat_map(|h| h.iter().copied()).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    run_length(all)
}

/// Several workers' reports over slices of one inventory, driven at the same time, as one:
/// counts, rates, memory and idle CPU add up (the CPU as a share of one core, all workers
/// together); the percentiles come from the merged distributions; the max is the largest.
/// Refuses reports from different keepalive intervals, or without distributions.
pub fn merge(reports: &[DriveReport]) -> Result<DriveReport, String> {
    let first = reports.first().ok_or("no reports to merge")?;
    if let Some(r) = reports
        .iter()
        .find(|r| r.keepalive_interval_s != first.keepalive_interval_s)
    {
        return Err(format!(
            "reports with different keepalive intervals ({} s and {} s) do not merge",
            first.keepalive_interval_s, r.keepalive_interval_s
        ));
    }
    if reports
        .iter()
        .any(|r| r.sessions > 0 && r.connect_hello_ms_hist.is_empty())
    {
        return Err("a report has no distributions (written by an older netlab): percentiles cannot be merged".into());
    }
    if reports.iter().any(|r| r.ramp_unix_s[1] <= 0.0) {
        return Err("a report has no ramp timestamps (written by an older netlab): the fleet's connect rate cannot be computed".into());
    }
    let sum = |f: fn(&DriveReport) -> usize| reports.iter().map(f).sum::<usize>();
    let sumf = |f: fn(&DriveReport) -> f64| reports.iter().map(f).sum::<f64>();
    // The rate of the fleet: every worker's connects over the span from the first ramp's
    // start to the last one's end (workers that did not run at once get a lower rate, not
    // the sum of their own).
    let ramp = [
        reports
            .iter()
            .map(|r| r.ramp_unix_s[0])
            .fold(f64::INFINITY, f64::min),
        reports.iter().map(|r| r.ramp_unix_s[1]).fold(0.0, f64::max),
    ];
    let opened = sum(|r| r.devices - r.errors);
    let connect = merge_hist(
        &reports
            .iter()
            .map(|r| r.connect_hello_ms_hist.as_slice())
            .collect::<Vec<_>>(),
    );
    let checkout = merge_hist(
        &reports
            .iter()
            .map(|r| r.checkout_us_hist.as_slice())
            .collect::<Vec<_>>(),
    );
    let rss = [
        reports.iter().map(|r| r.rss_kib[0]).sum::<u64>(),
        reports.iter().map(|r| r.rss_kib[1]).sum::<u64>(),
    ];
    let sessions = sum(|r| r.sessions);
    Ok(DriveReport {
        workers: sum(|r| r.workers),
        devices: sum(|r| r.devices),
        sessions,
        errors: sum(|r| r.errors),
        first_error: reports.iter().find_map(|r| r.first_error.clone()),
        concurrency: sum(|r| r.concurrency),
        connect_hello_ms: [0.5, 0.9, 0.99].map(|q| hist_percentile(&connect, q)),
        connects_per_s: opened as f64 / (ramp[1] - ramp[0]).max(1e-6),
        rss_kib: rss,
        rss_per_client_session_kib: rss[1].saturating_sub(rss[0]) as f64 / sessions.max(1) as f64,
        keepalive_interval_s: first.keepalive_interval_s,
        idle_s: reports
            .iter()
            .map(|r| r.idle_s)
            .fold(f64::INFINITY, f64::min),
        idle_cpu_share_of_core: sumf(|r| r.idle_cpu_share_of_core),
        checkouts: sum(|r| r.checkouts),
        checkout_errors: sum(|r| r.checkout_errors),
        first_checkout_error: reports.iter().find_map(|r| r.first_checkout_error.clone()),
        ramp_unix_s: ramp,
        checkout_us: [
            hist_percentile(&checkout, 0.5),
            hist_percentile(&checkout, 0.99),
            reports.iter().map(|r| r.checkout_us[2]).fold(0.0, f64::max),
        ],
        connect_hello_ms_hist: connect,
        checkout_us_hist: checkout,
    })
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
    let unix_now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    };
    let ramp_start = unix_now();
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
    let ramp_unix_s = [ramp_start, unix_now()];
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
    let (mut checkout_errors, mut first_checkout_error) = (0, None);
    for _ in 0..rounds {
        for d in devices {
            let t = Instant::now();
            match pool.netconf(d).await {
                Ok(g) => {
                    waits.push(t.elapsed().as_secs_f64() * 1e6);
                    drop(g);
                }
                Err(e) => {
                    checkout_errors += 1;
                    first_checkout_error.get_or_insert_with(|| format!("{}: {e}", d.label()));
                }
            }
        }
    }
    sort(&mut waits);
    let report = DriveReport {
        workers: 1,
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
        checkouts: waits.len() + checkout_errors,
        checkout_errors,
        first_checkout_error,
        ramp_unix_s,
        checkout_us: [
            percentile(&waits, 0.5),
            percentile(&waits, 0.99),
            waits.last().copied().unwrap_or(0.0),
        ],
        connect_hello_ms_hist: coarse(&ms),
        checkout_us_hist: coarse(&waits),
    };
    pool.shutdown(Duration::from_secs(10)).await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(connect: &[f64], waits: &[f64], cpu: f64) -> DriveReport {
        let (mut c, mut w) = (connect.to_vec(), waits.to_vec());
        sort(&mut c);
        sort(&mut w);
        DriveReport {
            workers: 1,
            devices: c.len(),
            sessions: c.len(),
            errors: 0,
            first_error: None,
            concurrency: 32,
            connect_hello_ms: [0.5, 0.9, 0.99].map(|q| percentile(&c, q)),
            connects_per_s: 100.0,
            rss_kib: [1000, 1000 + 70 * c.len() as u64],
            rss_per_client_session_kib: 70.0,
            keepalive_interval_s: 15.0,
            idle_s: 30.0,
            idle_cpu_share_of_core: cpu,
            checkouts: w.len(),
            checkout_errors: 0,
            first_checkout_error: None,
            ramp_unix_s: [1000.0, 1001.0],
            checkout_us: [
                percentile(&w, 0.5),
                percentile(&w, 0.99),
                *w.last().unwrap(),
            ],
            connect_hello_ms_hist: coarse(&c),
            checkout_us_hist: coarse(&w),
        }
    }

    #[test]
    fn two_digits_keeps_one_percent() {
        assert_eq!(two_digits(1234.0), 1200.0);
        assert_eq!(two_digits(0.0456), 0.046);
        assert_eq!(two_digits(7.0), 7.0);
        assert_eq!(two_digits(0.0), 0.0);
    }

    #[test]
    fn merged_percentiles_come_from_the_merged_distribution() {
        // Worker a: 99 fast checkouts and one slow; worker b: 100 at 5 us. Averaging the
        // p99s (a: 3 us, b: 5 us) would say 4; the merged distribution says 5.
        let mut wa = vec![3.0; 99];
        wa.push(900.0);
        let a = report(&[20.0; 100], &wa, 0.03);
        let b = report(&[40.0; 100], &[5.0; 100], 0.04);
        let m = merge(&[a, b]).unwrap();
        assert_eq!(
            (m.workers, m.devices, m.sessions, m.checkouts),
            (2, 200, 200, 200)
        );
        assert_eq!(m.checkout_us, [5.0, 5.0, 900.0]);
        assert_eq!(m.connect_hello_ms[0], 40.0);
        assert!((m.idle_cpu_share_of_core - 0.07).abs() < 1e-9);
        assert_eq!(m.connects_per_s, 200.0);
        assert_eq!(m.rss_per_client_session_kib, 70.0);
        // The merged histogram's percentiles match the pooled raw samples'.
        let mut raw: Vec<f64> = wa.iter().copied().chain([5.0; 100]).collect();
        sort(&mut raw);
        for q in [0.1, 0.5, 0.9, 0.99] {
            assert_eq!(hist_percentile(&m.checkout_us_hist, q), percentile(&raw, q));
        }
    }

    #[test]
    fn reports_that_cannot_merge_are_refused() {
        assert!(merge(&[]).is_err());
        let a = report(&[20.0], &[3.0], 0.0);
        let mut b = a.clone();
        b.keepalive_interval_s = 1.0;
        assert!(merge(&[a.clone(), b]).unwrap_err().contains("keepalive"));
        let mut old = a.clone();
        old.connect_hello_ms_hist.clear();
        assert!(merge(&[a.clone(), old])
            .unwrap_err()
            .contains("distributions"));
        let mut untimed = a.clone();
        untimed.ramp_unix_s = [0.0, 0.0];
        assert!(merge(&[a, untimed]).unwrap_err().contains("timestamps"));
    }

    #[test]
    fn workers_that_did_not_run_at_once_do_not_add_up_their_rates() {
        // Each opened 100 sessions in 1 s; one after the other, the fleet opened 200 in 2 s.
        let a = report(&[20.0; 100], &[3.0; 100], 0.0);
        let mut b = a.clone();
        b.ramp_unix_s = [1001.0, 1002.0];
        assert_eq!(merge(&[a.clone(), b]).unwrap().connects_per_s, 100.0);
        // At once, 200 in 1 s; failed opens are not connects.
        let mut c = a.clone();
        c.errors = 50;
        assert_eq!(merge(&[a, c]).unwrap().connects_per_s, 150.0);
    }

    #[test]
    fn a_report_round_trips_through_json() {
        let a = report(&[20.0, 21.0], &[3.0, 4.0], 0.01);
        let back: DriveReport = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back.checkout_us_hist, a.checkout_us_hist);
        assert_eq!(back.workers, 1);
    }
}
