//! One self-contained HTML report: the tables, the charts inline (SVG), the environment
//! and the run's JSON embedded. No network fetch: no external script, style, font or
//! image.
//!
//! A small inline script measures what the browser actually rendered, for the headless
//! browser test: for each chart, the rendered size, the axis titles and legend entries
//! found among its drawn texts, and the data marks with a non-empty box. It writes that
//! to `data-checks` on `<body>` and any script error to `data-errors`.

use std::fmt::Write as _;

/// A part of the report.
pub enum Part {
    /// A heading.
    Heading(String),
    /// Preformatted text (a terminal table).
    Table(String),
    /// A paragraph of plain text.
    Note(String),
    /// A chart.
    Chart(Chart),
}

/// A chart and what the browser must find drawn in it.
pub struct Chart {
    /// Short name (`cdf`, `speedup`, `scaling`, `chaos`).
    pub kind: &'static str,
    /// Caption under the chart.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
    /// Axis titles that must be drawn.
    pub axes: Vec<String>,
    /// Legend entries that must be drawn (their first 20 characters).
    pub legend: Vec<String>,
    /// Width of the plot area, from the SVG's left edge: data marks are counted only
    /// there (the legend column's swatches are not data).
    pub plot_width: u32,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The machine, versions and date, as `(name, value)` rows.
pub fn environment(extra: &[(&str, String)]) -> Vec<(String, String)> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let mem = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<u64>().ok())
        .map(|k| format!("{:.1} GiB", k as f64 / 1048576.0))
        .unwrap_or_else(|| "unknown".into());
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut rows = vec![
        ("date".to_string(), utc_now()),
        ("machine".into(), format!("{cores} cores, {mem}, {cpu}")),
        ("kernel".into(), format!("Linux {kernel}")),
        ("netpool lab".into(), env!("CARGO_PKG_VERSION").to_string()),
    ];
    rows.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    rows
}

/// Now, UTC, as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc_now() -> String {
    junos_sim::clock::junos_time(junos_sim::clock::unix_now())
}

/// Now, UTC, as ISO 8601 to the second (`YYYY-MM-DDTHH:MM:SS`, JUnit's `timestamp`).
pub fn utc_now_iso() -> String {
    let (y, m, d, hh, mm, ss) = junos_sim::clock::utc_fields(junos_sim::clock::unix_now());
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1000px;color:#222}\
pre{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:12px}\
table.env td{padding:2px 12px 2px 0;font-size:13px}\
figure{margin:18px 0}figcaption{font-size:13px;color:#555}\
details{margin-top:24px}";

const CHECK: &str = r#"
(function () {
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });
  function run() {
    var checks = [];
    document.querySelectorAll('figure.chart').forEach(function (fig) {
      var svg = fig.querySelector('svg');
      var r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
      var texts = [];
      if (svg) svg.querySelectorAll('text').forEach(function (t) {
        var b = t.getBBox();
        if (b.width > 0 && b.height > 0) texts.push(t.textContent.trim());
      });
      function drawn(want) {
        return want.filter(function (w) {
          return texts.some(function (t) { return t.indexOf(w) === 0; });
        });
      }
      var axes = JSON.parse(fig.dataset.axes), legend = JSON.parse(fig.dataset.legend);
      // Data marks: lines, points and bars with a box, inside the plot area (not the
      // legend column beside it, whose swatches are not data; plotters draws axes and grid
      // lines as <line>, not counted).
      var marks = 0, plotWidth = Number(fig.dataset.plotWidth);
      if (svg) svg.querySelectorAll('polyline,path,circle,rect').forEach(function (m) {
        var b = m.getBBox();
        var fill = (m.getAttribute('fill') || '').toUpperCase();
        var bg = m.tagName === 'rect' && (fill === '#FFFFFF' || fill === 'WHITE' || fill === 'NONE');
        if (!bg && (b.width > 0 || b.height > 0) && b.x + b.width <= plotWidth) marks++;
      });
      checks.push({kind: fig.dataset.kind, width: r.width, height: r.height,
                   axes: axes, axes_drawn: drawn(axes), legend: legend,
                   legend_drawn: drawn(legend), marks: marks, texts: texts.length});
    });
    document.body.dataset.checks = JSON.stringify(checks);
    document.body.dataset.errors = JSON.stringify(errors);
    console.log('netlab-report-checked ' + checks.length + ' charts');
  }
  if (document.readyState === 'complete') run(); else window.addEventListener('load', run);
})();
"#;

/// The whole page.
pub fn render(
    title: &str,
    env: &[(String, String)],
    parts: &[Part],
    data: &serde_json::Value,
) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head>\n<body>\n<h1>{}</h1>\n<table class=\"env\">",
        esc(title),
        esc(title)
    );
    for (k, v) in env {
        let _ = write!(s, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
    }
    s.push_str("</table>\n");
    for p in parts {
        match p {
            Part::Heading(h) => {
                let _ = writeln!(s, "<h2>{}</h2>", esc(h));
            }
            Part::Table(t) => {
                let _ = writeln!(s, "<pre>{}</pre>", esc(t));
            }
            Part::Note(n) => {
                let _ = writeln!(s, "<p>{}</p>", esc(n));
            }
            Part::Chart(c) => {
                let svg = c
                    .svg
                    .trim_start()
                    .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                    .unwrap_or(&c.svg);
                let _ = writeln!(
                    s,
                    "<figure class=\"chart\" data-kind=\"{}\" data-plot-width=\"{}\" data-axes=\"{}\" data-legend=\"{}\">{}<figcaption>{}</figcaption></figure>",
                    c.kind,
                    c.plot_width,
                    esc(&serde_json::to_string(&c.axes).unwrap_or_default()),
                    esc(&serde_json::to_string(
                        &c.legend
                            .iter()
                            .map(|l| l.chars().take(20).collect::<String>())
                            .collect::<Vec<_>>()
                    )
                    .unwrap_or_default()),
                    svg.trim(),
                    esc(&c.caption)
                );
            }
        }
    }
    // The JSON is embedded as data; `</` is escaped so that it cannot close the script.
    let json = serde_json::to_string_pretty(data)
        .unwrap_or_default()
        .replace("</", "<\\/");
    let _ = write!(
        s,
        "<details><summary>the run's JSON</summary><script type=\"application/json\" id=\"data\">{json}</script><pre id=\"json-view\"></pre></details>\n<script>document.getElementById('json-view').textContent = document.getElementById('data').textContent;{CHECK}</script>\n</body></html>\n"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_fetches_nothing_and_escapes_what_it_embeds() {
        let page = render(
            "bench <x>",
            &[("profile".into(), "vmx & co".into())],
            &[Part::Table("a < b".into())],
            &serde_json::json!({"evil": "</script><script>alert(1)</script>"}),
        );
        assert!(page.contains("bench &lt;x&gt;") && page.contains("vmx &amp; co"));
        assert!(page.contains("a &lt; b"));
        assert!(!page.contains("</script><script>alert"));
        for fetch in ["src=\"http", "href=\"http", "@import", "url("] {
            assert!(!page.contains(fetch), "{fetch}");
        }
    }

    #[test]
    fn utc_dates_are_civil_dates() {
        let d = utc_now();
        assert!(
            d.starts_with("20") && d.ends_with(" UTC") && d.len() == 23,
            "{d}"
        );
        let iso = utc_now_iso();
        assert!(iso.len() == 19 && &iso[10..11] == "T", "{iso}");
        // The calendar itself is tested in junos_sim::clock.
    }
}
