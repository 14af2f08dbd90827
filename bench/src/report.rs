//! Reports: a terminal table, the JSON of the design's contract, and an SVG chart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::runner::ModeResult;

/// The bench JSON (design.md contract, extended).
#[derive(Debug, Serialize)]
pub struct BenchReport {
    /// Timing profile of the devices (`instant`, `vmx`, `wan`, or `real`).
    pub profile: String,
    /// Number of routers.
    pub routers: usize,
    /// Workload name.
    pub workload: String,
    /// Timed passes per mode.
    pub repeat: usize,
    /// One entry per (transport, mode).
    pub modes: Vec<ModeResult>,
    /// Mode -> total time of per-call divided by the mode's, on the NETCONF transport (or
    /// the only transport run).
    pub speedup: BTreeMap<String, f64>,
    /// Transport -> mode -> speedup against per-call on the same transport.
    pub speedup_by_transport: BTreeMap<String, BTreeMap<String, f64>>,
}

impl BenchReport {
    /// Assemble a report and compute the speedups.
    pub fn new(
        profile: &str,
        routers: usize,
        workload: &str,
        repeat: usize,
        modes: Vec<ModeResult>,
    ) -> Self {
        let mut by_t: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for m in &modes {
            if let Some(base) = modes
                .iter()
                .find(|b| b.transport == m.transport && b.mode == "per-call")
            {
                // A speedup over failed operations would compare timeouts: left out.
                if m.total_s > 0.0 && m.errors == 0 && base.errors == 0 {
                    by_t.entry(m.transport.clone())
                        .or_default()
                        .insert(m.mode.clone(), base.total_s / m.total_s);
                }
            }
        }
        let primary = if by_t.contains_key("netconf") {
            "netconf"
        } else {
            by_t.keys().next().map(String::as_str).unwrap_or("")
        };
        let speedup = by_t.get(primary).cloned().unwrap_or_default();
        Self {
            profile: profile.into(),
            routers,
            workload: workload.into(),
            repeat,
            modes,
            speedup,
            speedup_by_transport: by_t,
        }
    }

    /// The terminal table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<9} {:<17} {:>4} {:>9} {:>9} {:>9} {:>9} {:>6} {:>7} {:>8} {:>8} {:>9}",
            "transport",
            "mode",
            "ops",
            "total s",
            "p50 ms",
            "p99 ms",
            "ops/s",
            "conns",
            "errors",
            "speedup",
            "limit s",
            "probe p99"
        );
        for m in &self.modes {
            let speed = self
                .speedup_by_transport
                .get(&m.transport)
                .and_then(|t| t.get(&m.mode))
                .map_or("-".to_string(), |x| format!("{x:.1}x"));
            let limit = match (m.limit_s, m.efficiency) {
                (Some(l), Some(e)) => format!("{l:.2} {:>3.0}%", e * 100.0),
                _ => "-".into(),
            };
            let _ = writeln!(
                s,
                "{:<9} {:<17} {:>4} {:>9.3} {:>9.2} {:>9.2} {:>9.1} {:>6} {:>7} {:>8} {:>8} {:>7.2}ms",
                m.transport, m.mode, m.ops, m.total_s, m.p50_ms, m.p99_ms, m.throughput, m.connections_opened, m.errors, speed, limit, m.probe_p99_ms
            );
        }
        for m in self.modes.iter().filter(|m| m.errors > 0) {
            let _ = writeln!(
                s,
                "  {} {}: {} errors, first: {}",
                m.transport,
                m.mode,
                m.errors,
                m.first_error.as_deref().unwrap_or("?")
            );
        }
        for m in self
            .modes
            .iter()
            .filter(|m| matches!(m.connections_source, "assumed" | "unknown"))
        {
            let _ = writeln!(
                s,
                "  {} {}: conns {} (not counted: no device counters for this peer)",
                m.transport, m.mode, m.connections_source
            );
        }
        if self.modes.iter().any(|m| m.errors > 0) {
            let _ = writeln!(
                s,
                "  (no speedup is given for a mode with failed operations, or against a per-call run with them)"
            );
        }
        s
    }

    /// An SVG chart: the latency distribution (CDF, log scale) of each mode.
    pub fn svg(&self) -> String {
        let (w, h, left, right, top, bottom) = (900.0, 520.0, 70.0, 220.0, 40.0, 50.0);
        let pw = w - left - right;
        let ph = h - top - bottom;
        let all: Vec<f64> = self
            .modes
            .iter()
            .flat_map(|m| m.samples_ms.iter().cloned())
            .filter(|v| *v > 0.0)
            .collect();
        let lo = all.iter().cloned().fold(f64::INFINITY, f64::min).max(1e-3);
        let hi = all.iter().cloned().fold(0.0, f64::max).max(lo * 10.0);
        let (llo, lhi) = (lo.log10().floor(), hi.log10().ceil());
        let x = |v: f64| left + (v.max(lo).log10() - llo) / (lhi - llo) * pw;
        let y = |q: f64| top + (1.0 - q) * ph;
        let colors = [
            "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
        ];
        let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        let _ = writeln!(s, "<text x=\"{left}\" y=\"22\" font-size=\"15\">Per-operation latency, {} profile, {} routers, workload {} (CDF)</text>", self.profile, self.routers, self.workload);
        let mut d = llo;
        while d <= lhi {
            let v = 10f64.powf(d);
            let xv = x(v);
            let _ = writeln!(s, "<line x1=\"{xv:.1}\" y1=\"{top}\" x2=\"{xv:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{xv:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>", top + ph, top + ph + 16.0, fmt_ms(v));
            d += 1.0;
        }
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            let yq = y(q);
            let _ = writeln!(s, "<line x1=\"{left}\" y1=\"{yq:.1}\" x2=\"{:.1}\" y2=\"{yq:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">p{}</text>", left + pw, left - 6.0, yq + 4.0, (q * 100.0) as u32);
        }
        let _ = writeln!(s, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">milliseconds per operation (log scale)</text>", left + pw / 2.0, h - 10.0);
        for (i, m) in self.modes.iter().enumerate() {
            let c = colors[i % colors.len()];
            let mut v = m.samples_ms.clone();
            v.sort_by(|a, b| a.total_cmp(b));
            let n = v.len().max(1) as f64;
            let pts: Vec<String> = v
                .iter()
                .enumerate()
                .map(|(k, ms)| format!("{:.1},{:.1}", x(*ms), y((k + 1) as f64 / n)))
                .collect();
            let _ = writeln!(
                s,
                "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>",
                pts.join(" ")
            );
            let ly = top + 16.0 * i as f64;
            let _ = writeln!(s, "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"3\" fill=\"{c}\"/><text x=\"{:.1}\" y=\"{:.1}\">{} {} (p50 {})</text>", w - right + 10.0, ly, w - right + 28.0, ly + 5.0, m.transport, m.mode, fmt_ms(m.p50_ms));
        }
        s.push_str("</svg>\n");
        s
    }
}

fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.0}s", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v:.0}ms")
    } else {
        format!("{:.0}us", v * 1000.0)
    }
}
