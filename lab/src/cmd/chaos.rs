//! `netlab chaos`: the scenario matrix, a PASS/FAIL row each.

use std::path::PathBuf;

use super::{paint, write_json};

#[derive(clap::Args)]
pub struct ChaosArgs {
    /// A scenario name, or `all`.
    #[arg(long, default_value = "all")]
    pub scenario: String,
    /// Write the results as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Full sizes (20 s of bursts, 10^5 routes) instead of quick ones.
    #[arg(long)]
    pub full: bool,
    /// List the scenarios and exit.
    #[arg(long)]
    pub list: bool,
}

pub async fn run(a: ChaosArgs) -> Result<(), String> {
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
            paint(r.verdict),
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
        write_json(p, &results)?;
    }
    if failed > 0 {
        return Err(format!("{failed} chaos scenario(s) failed"));
    }
    Ok(())
}
