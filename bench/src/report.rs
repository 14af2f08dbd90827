//! Reports: a terminal table and the JSON of the design's contract (charts: `charts`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::plan::ModeResult;

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
}
