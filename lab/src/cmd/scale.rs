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
    /// Write one self-contained HTML report (with --sweep: the throughput and p99 chart).
    #[arg(long)]
    pub html: Option<PathBuf>,
}

pub async fn run(a: ScaleArgs) -> Result<(), String> {
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
