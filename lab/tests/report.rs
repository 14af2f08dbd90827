//! The HTML reports opened in a real browser: Debian's Chromium, headless. For `netlab
//! bench`, `chaos` and `scale --sweep`, the test writes the report, has Chromium render
//! it (a screenshot is kept under target/reports/ as a CI artifact) and reads back what
//! the page measured of its own rendering: every chart drawn with a size, its axis
//! titles and legend entries among the drawn texts, data marks with a non-empty box in the
//! plot area (at least one per legend entry; the legend's swatches do not count), and
//! no script error; Chromium's own log must show the page's check ran.

use std::path::{Path, PathBuf};
use std::process::Command;

fn reports_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets it");
            Path::new(&dir).join("../target")
        });
    let dir = target.join("reports");
    std::fs::create_dir_all(&dir).expect("target/reports can be created");
    dir
}

fn chromium() -> &'static str {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Chromium is installed (.ci/run installs Debian's chromium)")
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The value of `name="..."` on the first element that has it.
fn attr(dom: &str, name: &str) -> Option<String> {
    let at = dom.find(&format!("{name}=\""))? + name.len() + 2;
    let end = dom[at..].find('"')? + at;
    Some(unescape(&dom[at..end]))
}

fn render_and_check(name: &str, netlab_args: &[&str], charts: usize) {
    let dir = reports_dir();
    let html = dir.join(format!("{name}.html"));
    let out = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(netlab_args)
        .arg("--html")
        .arg(&html)
        .output()
        .expect("netlab runs");
    assert!(
        out.status.success(),
        "netlab {netlab_args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    for fetch in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(
            !page.contains(fetch),
            "{name}: the report fetches something ({fetch})"
        );
    }
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let browser = |extra: &[&str]| {
        Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=3000",
                "--window-size=1100,2600",
            ])
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs")
    };
    let dumped = browser(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dumped.stdout);
    let log = String::from_utf8_lossy(&dumped.stderr);
    assert!(
        log.contains(&format!("netlab-report-checked {charts} charts")),
        "{name}: the page's check did not run in Chromium:\n{log}"
    );
    for bad in ["Uncaught", "SyntaxError", "TypeError", "ReferenceError"] {
        assert!(
            !log.contains(bad),
            "{name}: console error in Chromium: {log}"
        );
    }
    let errors = attr(&dom, "data-errors").expect("the page recorded its script errors");
    assert_eq!(errors, "[]", "{name}: script errors");
    let checks: serde_json::Value =
        serde_json::from_str(&attr(&dom, "data-checks").expect("the page measured its charts"))
            .unwrap();
    let checks = checks.as_array().unwrap();
    assert_eq!(checks.len(), charts, "{name}: {checks:?}");
    for c in checks {
        let kind = &c["kind"];
        assert!(
            c["width"].as_f64().unwrap() > 500.0,
            "{name} {kind}: not drawn wide: {c}"
        );
        assert!(
            c["height"].as_f64().unwrap() > 300.0,
            "{name} {kind}: not drawn tall: {c}"
        );
        // Axis titles and legend entries: some declared, and every one drawn.
        for (part, what) in [("axes", "an axis title"), ("legend", "a legend entry")] {
            let declared = &c[part];
            assert!(
                !declared.as_array().unwrap().is_empty(),
                "{name} {kind}: no {part}: {c}"
            );
            assert_eq!(
                &c[format!("{part}_drawn")],
                declared,
                "{name} {kind}: {what} is missing"
            );
        }
        // At least one data mark in the plot area per legend entry (a chart whose series
        // are empty draws its axes, grid and legend swatches, and no mark there).
        let legend_entries = c["legend"].as_array().unwrap().len() as u64;
        assert!(
            c["marks"].as_u64().unwrap() >= legend_entries.max(1),
            "{name} {kind}: fewer data marks than legend entries: {c}"
        );
        assert!(
            c["texts"].as_u64().unwrap() >= 8,
            "{name} {kind}: too few labels: {c}"
        );
    }
    let png = dir.join(format!("{name}.png"));
    let shot = browser(&[&format!("--screenshot={}", png.display())]);
    assert!(shot.status.success(), "{name}: screenshot failed");
    assert!(
        std::fs::metadata(&png).unwrap().len() > 10_000,
        "{name}: empty screenshot"
    );
    eprintln!(
        "{name}: {} charts checked; screenshot {}",
        charts,
        png.display()
    );
}

#[test]
#[ignore = "needs Debian's chromium; .ci/run installs it"]
fn bench_chaos_and_scale_reports_render_with_axes_legends_and_marks_in_chromium() {
    render_and_check("bench", &["bench", "--quick"], 2);
    render_and_check("chaos", &["chaos", "--scenario", "silent-idle-drop"], 1);
    render_and_check(
        "scale",
        &["scale", "--sweep", "--devices", "10", "--ops", "200"],
        1,
    );
}
