//! One module per `netlab` subcommand, and what they share.

pub mod bench;
pub mod calibrate;
pub mod chaos;
pub mod inventory;
pub mod proxy;
pub mod scale;
pub mod sim;
pub mod validate;

use std::path::Path;

use netpool_bench::Target;

use crate::inventory::Inventory;

/// PASS in green and FAIL in red when stdout is a terminal.
pub fn paint(verdict: &str) -> String {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return verdict.to_string();
    }
    let code = if verdict == "PASS" { 32 } else { 31 };
    format!("\x1b[{code}m{verdict:<7}\x1b[0m")
}

/// Write `value` as pretty JSON to `path`; errors name the file.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Write a self-contained HTML report to `path`; errors name the file.
pub fn write_html(
    path: &Path,
    title: &str,
    env: &[(&str, String)],
    parts: &[netpool_bench::html::Part],
    data: &impl serde::Serialize,
) -> Result<(), String> {
    let data = serde_json::to_value(data).map_err(|e| e.to_string())?;
    let page =
        netpool_bench::html::render(title, &netpool_bench::html::environment(env), parts, &data);
    std::fs::write(path, page).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("report written to {}", path.display());
    Ok(())
}

/// Real devices from an inventory as bench targets (no simulator counters to read).
pub fn real_targets(inv: &Inventory) -> Vec<Target> {
    inv.devices
        .iter()
        .map(|d| Target {
            name: d.name.clone(),
            device: d.device.clone(),
            sim: None,
        })
        .collect()
}

/// Run the bench modes, printing progress; on Ctrl-C, stop and keep what was measured.
pub async fn run_interruptible(
    opts: &netpool_bench::BenchOptions,
    targets: &[Target],
    workload: &netpool_bench::Workload,
    modes: &[netpool_bench::Mode],
    transports: &[netpool_bench::Transport],
) -> (Vec<netpool_bench::ModeResult>, bool) {
    let sink = std::sync::Mutex::new(Vec::new());
    let interrupted = tokio::select! {
        _ = netpool_bench::runner::run_into(opts, targets, workload, modes, transports, &sink) => false,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: what was measured so far follows");
            true
        }
    };
    let results = sink
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    (results, interrupted)
}

/// A row per device: failed operations in each mode, and a verdict.
pub fn device_table(targets: &[Target], results: &[netpool_bench::ModeResult]) -> (String, usize) {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = write!(s, "{:<12} {:<28}", "device", "address");
    for m in results {
        let _ = write!(s, " {:>16}", format!("{} {}", m.transport, m.mode));
    }
    let _ = writeln!(s, "  verdict");
    let mut failing = 0;
    for t in targets {
        let _ = write!(s, "{:<12} {:<28}", t.name, t.device.label());
        let mut failed = 0;
        for m in results {
            let n = m.device_errors.get(&t.name).copied().unwrap_or(0);
            failed += n;
            let _ = write!(
                s,
                " {:>16}",
                if n == 0 {
                    "ok".to_string()
                } else {
                    format!("{n} failed")
                }
            );
        }
        let verdict = if failed == 0 { "PASS" } else { "FAIL" };
        if failed > 0 {
            failing += 1;
        }
        let _ = writeln!(s, "  {}", paint(verdict));
    }
    (s, failing)
}
