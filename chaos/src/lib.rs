//! netchaos: fault injectors, a Toxiproxy-class TCP fault proxy, and the scenario matrix
//! that proves netpool survives what real networks do.
//!
//! Every address is on this machine (127.0.0.0/8); every loop is bounded in count and
//! time; every injected fault is logged (with the proxy's seed where one is used).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blackhole;
pub mod fault_proxy;
pub mod probe;
pub mod scenarios;
pub mod sim_fleet;

pub use blackhole::Blackhole;
pub use fault_proxy::{Direction, FaultProxy, Toxic, ToxicKind};
pub use scenarios::{run, Scenario, ScenarioResult, Size, SCENARIOS};

/// Resident set size of this process in KiB (Linux `/proc/self/status`; 0 elsewhere).
pub fn rss_kib() -> u64 {
    status_kib("self", "VmRSS")
}

/// One KiB figure of `/proc/<process>/status` (`process`: a pid, or `self`), such as
/// `VmRSS` or `VmHWM` (the peak resident set); 0 when it cannot be read.
pub fn status_kib(process: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
