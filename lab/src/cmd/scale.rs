//! `netlab scale`: many simulated routers and a pooled session to each; the sweep.

use std::path::PathBuf;

use super::write_json;

#[derive(clap::Args)]
pub struct ScaleArgs {
    /// The scaling sweep instead: devices 1, 10, 100 and --devices (at most), each at
    /// concurrency 1, 16, 64 and 256; then the CPU keepalives cost with all sessions idle.
    #[arg(long)]
    pub sweep: bool,
    /// Operations per cell of the sweep.
    #[arg(long, default_value_t = 2000)]
    pub ops: usize,
    /// Simulated routers (each on its own 127.0.1.N address).
    #[arg(long, default_value_t = 1000)]
    pub devices: usize,
    /// Devices being opened at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// NETCONF sessions per device (1 to 10), multiplexed on one SSH connection per
    /// device: `--devices 1000 --sessions-per-device 10` holds 10,000 idle sessions.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=10))]
    pub sessions_per_device: u16,
    /// Write the figures as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Drive a fleet served elsewhere (`netlab sim --shards N --inventory-out FILE`, or
    /// containers): this process holds only client sockets. Opens one pooled session per
    /// device, measures the idle keepalive CPU, then a checkout sweep.
    #[arg(long)]
    pub inventory: Option<PathBuf>,
    /// With --inventory: drive only slice K of N of the inventory (`K/N`; several workers,
    /// each with its slice, their results added up).
    #[arg(long, value_parser = parse_slice)]
    pub slice: Option<(usize, usize)>,
    /// With --inventory: keepalive interval during the idle window, seconds.
    #[arg(long, default_value_t = 15)]
    pub keepalive_secs: u64,
    /// With --inventory: length of the idle window, seconds.
    #[arg(long, default_value_t = 30)]
    pub idle_secs: u64,
    /// Write one self-contained HTML report (with --sweep: the throughput and p99 chart).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Merge the --json reports of several `--inventory --slice K/N` workers run at the
    /// same time into one (counts, rates, memory and CPU added up, percentiles from the
    /// merged distributions), printed and written like one run's.
    #[arg(long, num_args = 1.., conflicts_with_all = ["inventory", "sweep"])]
    pub merge: Vec<PathBuf>,
}

pub async fn run(a: ScaleArgs) -> Result<(), String> {
    if !a.merge.is_empty() {
        return merge(&a);
    }
    let limit = netlab::limits::raise_nofile();
    if let Some(inv) = &a.inventory {
        return drive(&a, inv, limit).await;
    }
    let in_process = "the fleet and the pool in this one process: a listener, the server's socket and the client's socket";
    let instead = "Serve the fleet from other processes (`netlab sim --routers N --shards K --ports 2222 --inventory-out fleet.toml`) and drive it with `netlab scale --inventory fleet.toml`.";
    let largest = if a.sweep {
        a.devices.min(10_000)
    } else {
        a.devices
    };
    netlab::limits::check_fds("netlab scale", largest, 3, in_process, limit, instead)?;
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
        use std::fmt::Write as _;
        let mut table = String::new();
        let _ = writeln!(
            table,
            "{:>8} {:>6} {:>10} {:>9} {:>9} {:>14} {:>7}",
            "devices", "conc", "ops/s", "p99 ms", "sessions", "KiB/session", "errors"
        );
        for r in &rows {
            let _ = writeln!(
                table,
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
        let _ = writeln!(
            table,
            "keepalives (1 s interval), all sessions idle: {ka:.1} ms CPU per connection per hour (this process: the pool and the in-process routers answering together)"
        );
        print!("{table}");
        if let Some(p) = &a.json {
            let j =
                serde_json::json!({ "sweep": rows, "keepalive_cpu_ms_per_connection_hour": ka });
            write_json(p, &j)?;
        }
        if let Some(p) = &a.html {
            use netpool_bench::html::Part;
            let mut parts = vec![Part::Heading("The sweep".into()), Part::Table(table)];
            match netpool_bench::charts::scaling(&rows) {
                Ok(c) => parts.push(Part::Chart(c)),
                Err(e) => parts.push(Part::Note(format!("chart left out: {e}"))),
            }
            let j =
                serde_json::json!({ "sweep": rows, "keepalive_cpu_ms_per_connection_hour": ka });
            super::write_html(
                p,
                "netlab scale --sweep",
                &[("operations per cell", a.ops.to_string())],
                &parts,
                &j,
            )?;
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
        write_json(p, &r)?;
    }
    if let Some(p) = &a.html {
        let table = serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?;
        super::write_html(
            p,
            &format!("netlab scale: {} devices", r.devices),
            &[],
            &[
                netpool_bench::html::Part::Note(
                    "One point, so no chart: the figures follow (the sweep, --sweep, has the chart).".into(),
                ),
                netpool_bench::html::Part::Table(table),
            ],
            &r,
        )?;
    }
    if r.errors > 0 {
        return Err(format!("{} session opens failed", r.errors));
    }
    Ok(())
}

async fn drive(
    a: &ScaleArgs,
    path: &std::path::Path,
    limit: netlab::limits::NoFile,
) -> Result<(), String> {
    let inv = netlab::inventory::Inventory::load(path)?;
    let (lo, hi) = match a.slice {
        Some((k, n)) => super::sim::slice(inv.devices.len(), k, n),
        None => (0, inv.devices.len()),
    };
    let devices: Vec<netpool::Device> = inv.devices[lo..hi]
        .iter()
        .map(|d| d.device.clone())
        .collect();
    netlab::limits::check_fds(
        "netlab scale --inventory",
        devices.len(),
        1,
        "one SSH connection each",
        limit,
        "Split the inventory over several `netlab scale --inventory` processes (or machines) and add up their results.",
    )?;
    eprintln!(
        "netlab scale: {} devices from {}, one pooled session each, {} at a time; then {} s idle with keepalives every {} s; then a checkout of every device",
        devices.len(),
        path.display(),
        a.concurrency,
        a.idle_secs,
        a.keepalive_secs
    );
    let r = netpool_bench::drive::drive(
        &devices,
        inv.pool.host_key_policy.clone(),
        a.concurrency,
        std::time::Duration::from_secs(a.keepalive_secs.max(1)),
        std::time::Duration::from_secs(a.idle_secs),
        1,
    )
    .await?;
    report_drive(a, &r, &path.display().to_string())
}

/// `netlab scale --merge`: several workers' reports as one.
fn merge(a: &ScaleArgs) -> Result<(), String> {
    let reports = a
        .merge
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            serde_json::from_str::<netpool_bench::drive::DriveReport>(&text).map_err(|e| {
                format!(
                    "{}: not a `netlab scale --inventory --json` report: {e}",
                    p.display()
                )
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let r = netpool_bench::drive::merge(&reports)?;
    eprintln!(
        "netlab scale --merge: {} reports, {} workers",
        reports.len(),
        r.workers
    );
    let names: Vec<String> = a.merge.iter().map(|p| p.display().to_string()).collect();
    report_drive(a, &r, &names.join(" + "))
}

/// Print a drive report, write it as JSON and HTML if asked, and fail if sessions failed.
fn report_drive(
    a: &ScaleArgs,
    r: &netpool_bench::drive::DriveReport,
    source: &str,
) -> Result<(), String> {
    let text = format!(
        "{}devices                       {}\nsessions open                 {} ({} failed{})\nconnect+hello p50/p90/p99     {:.1} / {:.1} / {:.1} ms ({} at a time)\nestablished / s               {:.0}\nRSS per client session        {:.1} KiB ({} -> {} KiB, {})\nidle CPU (keepalives)         {:.2}% of one core ({} s interval, {:.0} s window{})\ncheckout p50/p99/max          {:.1} / {:.1} / {:.1} us over {} checkouts ({} failed)\n",
        if r.workers > 1 {
            format!("workers                       {}\n", r.workers)
        } else {
            String::new()
        },
        r.devices,
        r.sessions,
        r.errors,
        r.first_error.as_deref().map(|e| format!("; first: {e}")).unwrap_or_default(),
        r.connect_hello_ms[0],
        r.connect_hello_ms[1],
        r.connect_hello_ms[2],
        r.concurrency,
        r.connects_per_s,
        r.rss_per_client_session_kib,
        r.rss_kib[0],
        r.rss_kib[1],
        if r.workers > 1 { "the workers together" } else { "this process only" },
        r.idle_cpu_share_of_core * 100.0,
        r.keepalive_interval_s,
        r.idle_s,
        if r.workers > 1 { ", the workers together" } else { "" },
        r.checkout_us[0],
        r.checkout_us[1],
        r.checkout_us[2],
        r.checkouts,
        r.checkout_errors
    );
    print!("{text}");
    if let Some(p) = &a.json {
        write_json(p, r)?;
    }
    if let Some(p) = &a.html {
        super::write_html(
            p,
            &format!("netlab scale --inventory: {} devices", r.devices),
            &[("inventory", source.to_string())],
            &[
                netpool_bench::html::Part::Note(
                    "One run against an external fleet: the figures, no chart (the sweep, --sweep, has the chart).".into(),
                ),
                netpool_bench::html::Part::Table(text),
            ],
            r,
        )?;
    }
    if r.errors > 0 {
        return Err(format!(
            "{} of {} sessions failed to open",
            r.errors, r.devices
        ));
    }
    if r.checkout_errors > 0 {
        return Err(format!(
            "{} of {} checkouts after the idle window failed; first: {}",
            r.checkout_errors,
            r.checkouts,
            r.first_checkout_error.as_deref().unwrap_or("-")
        ));
    }
    Ok(())
}

/// `K/N` with K below N.
fn parse_slice(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected K/N, such as 0/4"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: K is not a number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: N is not a number"))?;
    if n == 0 || k >= n {
        return Err(format!("{s:?}: K must be below N, and N above 0"));
    }
    Ok((k, n))
}
