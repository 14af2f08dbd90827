//! One module per `netlab` subcommand, and what they share.

pub mod bench;
pub mod calibrate;
pub mod chaos;
pub mod inventory;
pub mod junit;
pub mod proxy;
pub mod scale;
pub mod sim;
pub mod validate;

use std::path::{Path, PathBuf};

use netpool_bench::Target;

use crate::inventory::Inventory;

/// The SSH server's limits, as flags of `netlab sim` and `netlab proxy` (the defaults
/// are the server's own: see `junos_sim::sshd`).
#[derive(clap::Args, Clone, Debug)]
pub struct SshLimitArgs {
    /// Seconds a client has for its version line and key exchange before it is cut.
    #[arg(long, value_name = "SECS")]
    pub handshake_timeout: Option<f64>,
    /// Seconds from connect to a successful login before a client is cut (OpenSSH's
    /// LoginGraceTime).
    #[arg(long, value_name = "SECS")]
    pub login_grace: Option<f64>,
    /// Connections not logged in yet, at once, per device (OpenSSH's MaxStartups).
    #[arg(long, value_name = "N")]
    pub max_startups: Option<usize>,
    /// SSH connections at once, per device.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Channels one SSH connection may hold open.
    #[arg(long, value_name = "N")]
    pub max_channels: Option<usize>,
}

impl SshLimitArgs {
    /// The flags given, for a child process.
    pub fn to_args(&self) -> Vec<String> {
        let mut v = Vec::new();
        let mut add = |flag: &str, value: Option<String>| {
            if let Some(value) = value {
                v.push(format!("--{flag}"));
                v.push(value);
            }
        };
        add(
            "handshake-timeout",
            self.handshake_timeout.map(|x| x.to_string()),
        );
        add("login-grace", self.login_grace.map(|x| x.to_string()));
        add("max-startups", self.max_startups.map(|x| x.to_string()));
        add(
            "max-connections",
            self.max_connections.map(|x| x.to_string()),
        );
        add("max-channels", self.max_channels.map(|x| x.to_string()));
        v
    }

    /// `base` with the flags given applied; an error names a flag that cannot work.
    pub fn apply(&self, base: junos_sim::sshd::Limits) -> Result<junos_sim::sshd::Limits, String> {
        let secs = |flag: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 86_400.0 {
                Ok(std::time::Duration::from_secs_f64(v))
            } else {
                Err(format!("--{flag} {v}: seconds, above 0 and at most 86400"))
            }
        };
        let mut l = base;
        if let Some(v) = self.handshake_timeout {
            l.handshake_timeout = secs("handshake-timeout", v)?;
        }
        if let Some(v) = self.login_grace {
            l.login_grace = secs("login-grace", v)?;
        }
        l.max_startups = self.max_startups.unwrap_or(l.max_startups);
        l.max_connections = self.max_connections.unwrap_or(l.max_connections);
        l.max_channels = self.max_channels.unwrap_or(l.max_channels);
        l.check().map_err(|e| {
            format!("{e} (flags --max-startups, --max-connections, --max-channels)")
        })?;
        Ok(l)
    }
}

/// Write `text` to `path` whole or not at all: a temporary file beside it, then a rename,
/// so that a reader waiting for the file never reads half of it.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", path.display())
        })
}

/// PASS in green and FAIL in red when stdout is a terminal.
pub fn paint(verdict: &str) -> String {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return verdict.to_string();
    }
    let code = if verdict == "PASS" { 32 } else { 31 };
    format!("\x1b[{code}m{verdict:<7}\x1b[0m")
}

/// The files a run writes besides its table: `--json` and `--junit` on `netlab bench`,
/// `chaos`, `validate` and `calibrate`.
#[derive(clap::Args)]
pub struct Reports {
    /// Write the results as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report: one test case per row (scenario, check, compared figure,
    /// or mode and transport), its time when measured, what it saw as its output, and
    /// why it failed when it did.
    #[arg(long)]
    pub junit: Option<PathBuf>,
}

impl Reports {
    /// Write what was asked for: `json()` as JSON, `cases()` as the JUnit suite `suite`
    /// (each built only when its file is wanted).
    pub fn write<J: serde::Serialize>(
        &self,
        suite: &str,
        json: impl FnOnce() -> J,
        cases: impl FnOnce() -> Vec<junit::Case>,
    ) -> Result<(), String> {
        if let Some(p) = &self.json {
            write_json(p, &json())?;
        }
        if let Some(p) = &self.junit {
            junit::write(p, suite, &cases())?;
        }
        Ok(())
    }
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
