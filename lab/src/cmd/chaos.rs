//! `netlab chaos`: the scenario matrix, a PASS/FAIL row each.

use std::path::PathBuf;

use super::paint;

#[derive(clap::Args)]
pub struct ChaosArgs {
    /// A scenario name, or `all`.
    #[arg(long, default_value = "all")]
    pub scenario: String,
    #[command(flatten)]
    pub reports: super::Reports,
    /// Write one self-contained HTML report: the table, the detect/recover chart, the
    /// environment and the JSON.
    #[arg(long)]
    pub html: Option<PathBuf>,
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
    print!("{}", table(&results, true));
    let failed = results.iter().filter(|r| r.verdict != "PASS").count();
    println!("{} passed, {} failed", results.len() - failed, failed);
    let case = |r: &netchaos::ScenarioResult| {
        let why = if r.detail.is_empty() {
            format!("{}: {}", r.verdict, r.bad_path)
        } else {
            format!("{}: {}", r.verdict, r.detail)
        };
        let seen = format!("bad path: {}\ngood path: {}", r.bad_path, r.good_path);
        super::junit::Case::new(&r.name, r.verdict == "PASS", why, seen, Some(r.duration_s))
    };
    a.reports.write(
        "netlab.chaos",
        || &results,
        || results.iter().map(case).collect(),
    )?;
    if let Some(p) = &a.html {
        use netpool_bench::html::Part;
        let mut parts = vec![
            Part::Heading("Scenarios".into()),
            Part::Table(format!(
                "{}{} passed, {} failed\n",
                table(&results, false),
                results.len() - failed,
                failed
            )),
        ];
        match netpool_bench::charts::chaos_times(&results) {
            Ok(c) => parts.push(Part::Chart(c)),
            Err(e) => parts.push(Part::Note(format!("chart left out: {e}"))),
        }
        super::write_html(
            p,
            "netlab chaos: the scenario matrix",
            &[("sizes", if a.full { "full" } else { "quick" }.to_string())],
            &parts,
            &results,
        )?;
    }
    if failed > 0 {
        return Err(format!("{failed} chaos scenario(s) failed"));
    }
    Ok(())
}

fn table(results: &[netchaos::ScenarioResult], color: bool) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<26} {:<7} {:>8} {:>9} {:>9} {:>9}  bad path / good path",
        "scenario", "verdict", "time s", "probe p99", "detect", "recover"
    );
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |s| format!("{:.0}ms", s * 1e3));
    for r in results {
        let _ = writeln!(
            s,
            "{:<26} {:<7} {:>8.2} {:>7.1}ms {:>9} {:>9}  {}",
            r.name,
            if color {
                paint(r.verdict)
            } else {
                r.verdict.to_string()
            },
            r.duration_s,
            r.probe_p99_ms,
            ms(r.detect_s),
            ms(r.recover_s),
            if r.bad_path.is_empty() {
                "-"
            } else {
                &r.bad_path
            }
        );
        let _ = writeln!(
            s,
            "{:<26} {:<7} {:>8} {:>9} {:>9} {:>9}  {}",
            "",
            "",
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
            let _ = writeln!(
                s,
                "{:<26} {:<7} {:>8} {:>9} {:>9} {:>9}  FAIL: {}",
                "", "", "", "", "", "", r.detail
            );
        }
    }
    s
}
