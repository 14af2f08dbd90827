//! netchaos: fault injectors, a Toxiproxy-class TCP fault proxy, and the scenario matrix
//! that proves netpool survives what real networks do.
//!
//! Every address is on this machine (127.0.0.0/8); every loop is bounded in count and
//! time; every injected fault is logged (with the proxy's seed where one is used).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blackhole;
pub mod proxy;
pub mod scenarios;

pub use blackhole::Blackhole;
pub use proxy::{Direction, FaultProxy, Toxic, ToxicKind};
pub use scenarios::{run, Scenario, ScenarioResult, Size, SCENARIOS};
